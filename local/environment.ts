/**
 * The embedded local environment: the whole pipeline on one machine, no cloud account.
 *
 * On loopback it starts DynamoDB (dynalite) and S3 (local/s3) persisted under the data directory, in a
 * process of their own (local/emulator-host.ts: off the handlers' event loop, on the second core), the
 * tables and buckets of the stack, the local Step Functions runtime with the very ASL files CDK
 * deploys (persisted too, so a restart in the middle of a wait loses nothing), S3 object-created
 * events delivered as the production EventBridge rule delivers them, the monthly schedule, and the
 * approvals API over the same handler. Handlers run in-process, pointed at these endpoints through the
 * SDK's standard AWS_ENDPOINT_URL_* variables.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_CUTOFF_DAY } from '#core/registration.ts';
import { localConsoleOrigins } from '#shared/console-cors.ts';
import { ENV, type Principal } from '#shared/contracts.ts';
import { type ApprovalsServer, localUsers, startApprovalsServer } from './approvals-server.ts';
import { type EmulatorProcess, startEmulatorProcess } from './emulator-host.ts';
import { LOCAL_AWS } from './emulators.ts';
import {
  matchesPopulationDeltaRule,
  matchesPopulationRule,
  matchesProposalRule,
  matchesStoppedProposalRule,
  type ObjectCreatedEvent,
  toObjectCreatedEvent,
} from './events.ts';
import { LOCAL_REGION, LocalFunctions, localSubstitutions } from './functions.ts';
import { choosePorts, writePorts } from './ports.ts';
import {
  LOCAL_RESOURCES,
  type LocalEndpoints,
  type LocalResourceNames,
  localEnvironmentVariables,
  provisionConsoleCors,
  provisionLocal,
} from './provision.ts';
import { type MonthlySchedule, nextMandiriCutoff, scheduleMonthly } from './scheduler.ts';
import type { Clock } from './sfn/clock.ts';
import { parseDefinition } from './sfn/definition.ts';
import { serveStepFunctionsApi } from './sfn/http.ts';
import { StepFunctionsRuntime } from './sfn/runtime.ts';
import { s3ObjectStorage } from './sfn/s3-objects.ts';
import type { ExecutionStatusChangeEvent } from './sfn/status-events.ts';

const STATE_MACHINES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'state-machines');

export const LOCAL_STATE_MACHINES = {
  proposal: 'dtks-proposal',
  stipulation: 'dtks-stipulation',
  'quality-control': 'dtks-quality-control',
} as const;

/** Regencies with local users by default: the demo's two regencies of Central Java (province 33). */
export const DEFAULT_LOCAL_REGENCIES = ['3371', '3308'];

export interface LocalPorts {
  dynamo: number;
  s3: number;
  sfn: number;
  api: number;
}

export interface LocalEnvironmentOptions {
  dataDir: string;
  /**
   * Fixed ports (an error if taken). Absent or 0: the port this data dir had last time if it is free,
   * else a free one (local/ports.ts).
   */
  ports?: Partial<LocalPorts>;
  /** Run the monthly stipulation on its schedule (default true). */
  schedule?: boolean;
  /** Regencies whose operators and approvers exist as local users. */
  regencies?: readonly string[];
  /** Approval timeout in seconds (default 14 days, as deployed). */
  approvalTimeoutSeconds?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

/** What `dtks local up` publishes in <dataDir>/local.json so that other dtks commands can find it. */
export interface LocalEnvironmentDescription {
  pid: number;
  /** The emulators' own process (DynamoDB and S3), which `pid` starts and stops. */
  emulatorsPid: number;
  region: string;
  ports: LocalPorts;
  endpoints: Required<LocalEndpoints> & { approvalsUrl: string };
  names: LocalResourceNames;
  stateMachines: { proposal: string; stipulation: string; qualityControl: string };
  users: Principal[];
}

export interface LocalEnvironment extends LocalEnvironmentDescription {
  runtime: StepFunctionsRuntime;
  functions: LocalFunctions;
  /** DynamoDB and S3, in their own process: onExit reports the process ending without stop(). */
  emulators: EmulatorProcess;
  /** Resolves when every S3 and Step Functions event delivered so far has been handed to its target. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export const DESCRIPTION_FILE = 'local.json';

export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const chosen = await choosePorts(dataDir, options.ports ?? {}, log);
  const emulators = await startEmulatorProcess({ dataDir, dynamoPort: chosen.dynamo, s3Port: chosen.s3, log });
  const stops: (() => Promise<void>)[] = [() => emulators.stop()];
  try {
    await provisionLocal(emulators);
    const functions = new LocalFunctions();
    const substitutions = {
      ...localSubstitutions(),
      ApprovalTimeoutSeconds: String(options.approvalTimeoutSeconds ?? 14 * 24 * 60 * 60),
    };
    const machines = await Promise.all(
      Object.entries(LOCAL_STATE_MACHINES).map(async ([file, name]) => ({
        name,
        definition: parseDefinition(
          await readFile(join(STATE_MACHINES_DIR, `${file}.asl.json`), 'utf8'),
          substitutions,
        ),
      })),
    );
    // Step Functions status changes → the production EventBridge rules (routed below). A change announced
    // before the handlers' environment is set (a resumed execution may end at once) waits until it is.
    const earlyStatusChanges: ExecutionStatusChangeEvent[] = [];
    let routeStatusChange = (event: ExecutionStatusChangeEvent) => void earlyStatusChanges.push(event);
    // Distributed Maps read their items from and write their results to the local S3, as the handlers do.
    const runtimeS3 = new S3Client({ ...LOCAL_AWS, endpoint: emulators.s3Endpoint, forcePathStyle: true });
    stops.push(async () => runtimeS3.destroy());
    const runtime = await StepFunctionsRuntime.start({
      dataDir: join(dataDir, 'stepfunctions'),
      machines,
      invoker: { invoke: (arn, payload) => functions.invoke(arn, payload) },
      objects: s3ObjectStorage(runtimeS3),
      onStatusChange: (event) => routeStatusChange(event),
      clock: options.clock,
      region: LOCAL_REGION,
      log,
    });
    stops.unshift(() => runtime.stop());
    const sfnServer = await serveStepFunctionsApi(runtime, { port: chosen.sfn });
    stops.unshift(() => sfnServer.close());

    const endpoints = {
      dynamoEndpoint: emulators.dynamoEndpoint,
      s3Endpoint: emulators.s3Endpoint,
      sfnEndpoint: sfnServer.endpoint,
    };
    // The handlers' cold start reads these: set before any handler module is imported.
    Object.assign(process.env, localEnvironmentVariables(endpoints));
    // The approvals API starts this machine for the ministry and tells approvers when each task expires.
    process.env[ENV.stipulationStateMachineArn] = runtime.stateMachineArn(LOCAL_STATE_MACHINES.stipulation);
    // The population loaders start the quality control once the registry is loaded, as in the stack.
    process.env[ENV.qualityControlStateMachineArn] = runtime.stateMachineArn(LOCAL_STATE_MACHINES['quality-control']);
    process.env[ENV.approvalTimeoutSeconds] = substitutions.ApprovalTimeoutSeconds;
    // Outside Lambda the Tracer is off, but the X-Ray SDK it loads would still track every promise of the
    // handlers through an async hook (its automatic mode, cls-hooked): about a tenth of their CPU here.
    process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

    const users = localUsers(options.regencies ?? DEFAULT_LOCAL_REGENCIES);
    const approvals: ApprovalsServer = await startApprovalsServer({
      functions,
      users,
      port: chosen.api,
      console: { s3Endpoint: emulators.s3Endpoint },
    });
    stops.unshift(() => approvals.stop());
    // The console is the approvals server's origin: the buckets its presigned URLs name allow it (CORS).
    await provisionConsoleCors(emulators, localConsoleOrigins(Number(new URL(approvals.url).port)));

    const stateMachines = {
      proposal: runtime.stateMachineArn(LOCAL_STATE_MACHINES.proposal),
      stipulation: runtime.stateMachineArn(LOCAL_STATE_MACHINES.stipulation),
      qualityControl: runtime.stateMachineArn(LOCAL_STATE_MACHINES['quality-control']),
    };

    // S3 → EventBridge rules → targets. Deliveries are tracked so callers can wait for them.
    const inFlight = new Set<Promise<unknown>>();
    const track = (delivery: Promise<unknown>, what: string) => {
      const tracked = delivery.then(
        () => undefined,
        (error: unknown) => log(`event delivery failed for ${what}: ${String(error)}`),
      );
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
    };
    const deliver = (event: ObjectCreatedEvent) => {
      let delivery: Promise<unknown> | undefined;
      if (matchesProposalRule(event, LOCAL_RESOURCES.buckets.proposals)) {
        delivery = runtime.startExecution({ stateMachineArn: stateMachines.proposal, input: JSON.stringify(event) });
      } else if (matchesPopulationRule(event, LOCAL_RESOURCES.buckets.proposals)) {
        delivery = functions.invoke('load-population', event);
      } else if (matchesPopulationDeltaRule(event, LOCAL_RESOURCES.buckets.proposals)) {
        delivery = functions.invoke('load-population-delta', event);
      }
      if (delivery) track(delivery, event.detail.object.key);
    };
    // A stopped proposal execution (ABORTED, TIMED_OUT, FAILED) → record-stopped, as the stack's rule does.
    routeStatusChange = (event) => {
      if (matchesStoppedProposalRule(event, stateMachines.proposal)) {
        track(
          functions.invoke('record-stopped', event),
          `the ${event.detail.status} status of ${event.detail.executionArn}`,
        );
      }
    };
    for (const event of earlyStatusChanges.splice(0)) routeStatusChange(event);
    emulators.onObjectCreated((created) => deliver(toObjectCreatedEvent(created, LOCAL_REGION)));

    let schedule: MonthlySchedule | undefined;
    if (options.schedule !== false) {
      schedule = scheduleMonthly(async (at) => {
        log(`monthly stipulation (${at.toISOString()})`);
        await runtime.startExecution({ stateMachineArn: stateMachines.stipulation, input: '{}' });
      });
      stops.unshift(async () => schedule?.stop());
      // The self-registration cut-off: the same gatherer the cloud's schedule invokes, with {}.
      const cutoffDay = Number(process.env[ENV.mandiriCutoffDay] ?? DEFAULT_CUTOFF_DAY);
      const cutoff = scheduleMonthly(
        async (at) => {
          log(`self-registration cut-off (${at.toISOString()})`);
          await functions.invoke('mandiri-gather', {});
        },
        undefined,
        (after) => nextMandiriCutoff(after, cutoffDay),
      );
      stops.unshift(async () => cutoff.stop());
    }

    const ports: LocalPorts = {
      dynamo: Number(new URL(emulators.dynamoEndpoint).port),
      s3: Number(new URL(emulators.s3Endpoint).port),
      sfn: sfnServer.port,
      api: Number(new URL(approvals.url).port),
    };
    writePorts(dataDir, ports);
    const description: LocalEnvironmentDescription = {
      pid: process.pid,
      emulatorsPid: emulators.pid,
      region: LOCAL_REGION,
      ports,
      endpoints: { ...endpoints, approvalsUrl: approvals.url },
      names: LOCAL_RESOURCES,
      stateMachines,
      users,
    };
    const descriptionPath = join(dataDir, DESCRIPTION_FILE);
    writeFileSync(descriptionPath, `${JSON.stringify(description, null, 2)}\n`);

    return {
      ...description,
      runtime,
      functions,
      emulators,
      async settled() {
        // The reports of objects created so far come over the emulators' IPC channel first; a delivery
        // may create objects in turn, whose reports are waited for the same way.
        for (;;) {
          await emulators.flush();
          if (!inFlight.size) return;
          while (inFlight.size) await Promise.all([...inFlight]);
        }
      },
      async stop() {
        rmSync(descriptionPath, { force: true });
        for (const stop of stops) await stop().catch((error: unknown) => log(`stop: ${String(error)}`));
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
}
