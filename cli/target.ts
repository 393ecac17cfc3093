/**
 * Where the operational commands (upload, status, tasks, approve, reject, stipulate, snapshot) act:
 * the local environment (default: the one `dtks local up` published in <data-dir>/local.json), or AWS
 * (`--profile`, or the standard AWS environment) with the stack's resource names from the environment.
 *
 * The handlers' repositories create their SDK clients when first imported, from process.env: so the
 * target sets process.env first and everything AWS-shaped is imported after (see cli/client.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESCRIPTION_FILE, type LocalEnvironmentDescription } from '#local/environment.ts';
import { localEnvironmentVariables } from '#local/provision.ts';
import { ENV, type Principal } from '#shared/contracts.ts';
import { CliError } from './errors.ts';

export const DEFAULT_DATA_DIR = '.dtks';

export interface Target {
  kind: 'local' | 'aws';
  proposalsBucket: string;
  exportsBucket: string;
  proposalStateMachineArn: string;
  stipulationStateMachineArn: string;
  qualityControlStateMachineArn: string;
  approvalsUrl: string;
  /** How a user authenticates to the approvals API: local username, or the Cognito ID token on AWS. */
  bearerFor(user: string | undefined): string;
  /** Locally, the users that stand in for Cognito (their roles decide the snapshot tiers); on AWS, IAM decides. */
  users?: readonly Principal[];
}

/** Options every operational command takes. */
export const TARGET_OPTIONS = {
  'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
  profile: { type: 'string' },
  aws: { type: 'boolean', default: false },
} as const;

export function resolveTarget(values: { 'data-dir'?: string; profile?: string; aws?: boolean }): Target {
  if (values.profile || values.aws) return awsTarget(values.profile);
  return localTarget(values['data-dir'] ?? DEFAULT_DATA_DIR);
}

export function readLocalDescription(dataDir: string): LocalEnvironmentDescription | undefined {
  const path = join(dataDir, DESCRIPTION_FILE);
  if (!existsSync(path)) return undefined;
  let description: LocalEnvironmentDescription;
  try {
    description = JSON.parse(readFileSync(path, 'utf8')) as LocalEnvironmentDescription;
  } catch (error) {
    throw new CliError(
      {
        id: `${path} tidak dapat dibaca sebagai JSON; hentikan lingkungan lokal, hapus berkas itu dan jalankan \`dtks local up\` lagi`,
        en: `${path} cannot be read as JSON; stop the local environment, delete that file and run \`dtks local up\` again`,
      },
      2,
      { cause: error },
    );
  }
  try {
    process.kill(description.pid, 0);
  } catch {
    return undefined; // a stale file from an environment that did not stop cleanly
  }
  return description;
}

export function localTarget(dataDir: string, description = readLocalDescription(dataDir)): Target {
  if (!description) {
    throw new CliError({
      id: `tidak ada lingkungan lokal yang berjalan untuk ${dataDir}: jalankan \`dtks local up --data-dir ${dataDir}\` (atau berikan --data-dir lain, atau --profile untuk AWS)`,
      en: `no local environment is running for ${dataDir}: start one with \`dtks local up --data-dir ${dataDir}\` (or pass another --data-dir, or --profile for AWS)`,
    });
  }
  Object.assign(process.env, localEnvironmentVariables(description.endpoints, description.names));
  return {
    kind: 'local',
    proposalsBucket: description.names.buckets.proposals,
    exportsBucket: description.names.buckets.exports,
    proposalStateMachineArn: description.stateMachines.proposal,
    stipulationStateMachineArn: description.stateMachines.stipulation,
    qualityControlStateMachineArn: description.stateMachines.qualityControl,
    approvalsUrl: description.endpoints.approvalsUrl,
    users: description.users,
    bearerFor(user) {
      if (!user) {
        const users = description.users.map((u) => u.username).join(', ');
        throw new CliError({
          id: `sebutkan siapa yang bertindak dengan --as <pengguna>; pengguna lokal: ${users}`,
          en: `say who acts with --as <user>; local users: ${users}`,
        });
      }
      return user;
    },
  };
}

/** The variables the AWS target reads; the stack prints them as outputs. */
export const AWS_TARGET_VARIABLES = {
  proposalsTable: ENV.proposalsTable,
  proposalsBucket: ENV.proposalsBucket,
  exportsBucket: ENV.exportsBucket,
  proposalStateMachine: 'DTKS_PROPOSAL_STATE_MACHINE_ARN',
  stipulationStateMachine: 'DTKS_STIPULATION_STATE_MACHINE_ARN',
  qualityControlStateMachine: 'DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN',
  approvalsUrl: 'DTKS_APPROVALS_URL',
  idToken: 'DTKS_ID_TOKEN',
} as const;

function awsTarget(profile: string | undefined): Target {
  if (profile) process.env.AWS_PROFILE = profile;
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) {
      throw new CliError({
        id: `di AWS, isi variabel ${name} (dari keluaran stack)`,
        en: `on AWS, set ${name} (from the stack outputs)`,
      });
    }
    return value;
  };
  return {
    kind: 'aws',
    proposalsBucket: read(AWS_TARGET_VARIABLES.proposalsBucket),
    exportsBucket: read(AWS_TARGET_VARIABLES.exportsBucket),
    proposalStateMachineArn: process.env[AWS_TARGET_VARIABLES.proposalStateMachine] ?? '',
    stipulationStateMachineArn: process.env[AWS_TARGET_VARIABLES.stipulationStateMachine] ?? '',
    qualityControlStateMachineArn: process.env[AWS_TARGET_VARIABLES.qualityControlStateMachine] ?? '',
    approvalsUrl: process.env[AWS_TARGET_VARIABLES.approvalsUrl] ?? '',
    bearerFor: () => read(AWS_TARGET_VARIABLES.idToken),
  };
}
