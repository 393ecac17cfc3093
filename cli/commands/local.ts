/** dtks local up [--data-dir .dtks] [--port-*] — the long-running local environment. */

import type { LocalEnvironmentDescription } from '#local/environment.ts';
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { DEFAULT_DATA_DIR, readLocalDescription } from '../target.ts';

const HELP = `dtks local up [--data-dir .dtks] [--dynamodb-port N] [--s3-port N] [--sfn-port N] [--api-port N]

Starts the whole pipeline on loopback and keeps it running until Ctrl-C: DynamoDB (dynalite) and S3
(local/s3, versioned buckets) persisted under the data dir, the local Step Functions runtime (the same
ASL files, executions persisted: a restart loses nothing), S3 events into the proposal workflow, the
monthly stipulation schedule (Asia/Jakarta) and the approvals API with local users. Other dtks commands
find it through <data-dir>/local.json. A restart comes back on the ports of last time
(<data-dir>/ports.json) while they are free. Point the AWS CLI or an SDK at the printed endpoints, with
any credentials (e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test).`;

export async function run(argv: string[]): Promise<number> {
  const port = { type: 'number', integer: true, min: 0, max: 65_535 } as const;
  const { values, positionals } = parseCommand(
    'local',
    argv,
    {
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      'dynamodb-port': port,
      's3-port': port,
      'sfn-port': port,
      'api-port': port,
    },
    { max: 1 },
  );
  if (values.help || !positionals[0]) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== 'up') {
    throw new CliError({
      id: `perintah "local ${positionals[0]}" tidak dikenal; yang ada: dtks local up`,
      en: `unknown command "local ${positionals[0]}"; there is: dtks local up`,
    });
  }
  const dataDir = values['data-dir'];
  const running = readLocalDescription(dataDir);
  if (running) {
    throw new CliError({
      id: `lingkungan lokal untuk ${dataDir} sudah berjalan (pid ${running.pid})`,
      en: `a local environment already runs for ${dataDir} (pid ${running.pid})`,
    });
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const [{ startLocalEnvironment }, { LOCAL_AWS }, { PortTakenError }] = await Promise.all([
    import('#local/environment.ts'),
    import('#local/emulators.ts'),
    import('#local/ports.ts'),
  ]);
  const environment = await startLocalEnvironment({
    dataDir,
    ports: {
      dynamo: values['dynamodb-port'],
      s3: values['s3-port'],
      sfn: values['sfn-port'],
      api: values['api-port'],
    },
    log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
  }).catch((error: unknown) => {
    if (error instanceof PortTakenError) throw new CliError({ id: error.messageIn('id'), en: error.messageIn('en') });
    throw error;
  });
  process.stdout.write(banner(environment, dataDir, LOCAL_AWS.credentials));
  // Until Ctrl-C, or until the emulators' process ends by itself (its log line says how): then the
  // environment cannot serve, so it stops rather than wait with dead endpoints.
  const crashed = await new Promise<boolean>((resolve) => {
    process.once('SIGINT', () => resolve(false));
    process.once('SIGTERM', () => resolve(false));
    environment.emulators.onExit(() => resolve(true));
  });
  process.stdout.write('stopping…\n');
  await environment.stop();
  if (crashed) {
    throw new CliError(
      {
        id: `proses emulator (DynamoDB dan S3) berhenti sendiri, jadi lingkungan lokal dihentikan; data di ${dataDir} tetap ada: jalankan lagi dtks local up`,
        en: `the emulators' process (DynamoDB and S3) ended by itself, so the local environment stopped; the data in ${dataDir} is kept: run dtks local up again`,
      },
      1,
    );
  }
  return 0;
}

/**
 * What `dtks local up` prints: the endpoints and ports, the credentials a client needs (any work; the
 * ones shown are ordinary dummies) and the SDK's standard variables to point a shell at them.
 */
export function banner(
  environment: LocalEnvironmentDescription,
  dataDir: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): string {
  const e = environment.endpoints;
  const p = environment.ports;
  return [
    `DTKS local environment up (data: ${dataDir})`,
    `  DynamoDB        ${e.dynamoEndpoint}`,
    `  S3              ${e.s3Endpoint}   buckets: ${Object.values(environment.names.buckets).join(', ')} (versioned)`,
    `  Step Functions  ${e.sfnEndpoint}`,
    `  Web console     ${e.approvalsUrl}/   (open in a browser; sign in as one of the users below)`,
    `  Approvals API   ${e.approvalsUrl}   (Authorization: Bearer <user>)`,
    `  Registrations   ${e.approvalsUrl}/registrations   (public: no sign-in, rate-limited; dtks mandiri)`,
    `  users           ${environment.users.map((u) => u.username).join(', ')}`,
    `  proposal workflow     ${environment.stateMachines.proposal}`,
    `  stipulation workflow  ${environment.stateMachines.stipulation}`,
    `  quality control       ${environment.stateMachines.qualityControl}`,
    `  ports           DynamoDB ${p.dynamo}, S3 ${p.s3}, Step Functions ${p.sfn}, approvals API ${p.api} (the next start reuses them)`,
    `  credentials     any access key and secret work locally; region ${environment.region}`,
    '',
    'For the AWS CLI or an SDK in another shell:',
    `  export AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_REGION=${environment.region}`,
    `  export AWS_ENDPOINT_URL_S3=${e.s3Endpoint} AWS_ENDPOINT_URL_DYNAMODB=${e.dynamoEndpoint} AWS_ENDPOINT_URL_SFN=${e.sfnEndpoint}`,
    '',
    `e.g.  aws --endpoint-url ${e.s3Endpoint} s3 ls s3://${environment.names.buckets.proposals}/`,
    `      npm run dtks -- upload usulan.csv --regency 3371 --wait`,
    'Ctrl-C stops it; the data stays in the data dir.',
    '',
  ].join('\n');
}
