/** dtks local up [--data-dir .dtks] [--port-*] — the long-running local environment. */
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import { DEFAULT_DATA_DIR, readLocalDescription } from '../target.ts';

const HELP = `dtks local up [--data-dir .dtks] [--dynamodb-port N] [--s3-port N] [--sfn-port N] [--api-port N]

Starts the whole pipeline on loopback and keeps it running until Ctrl-C: DynamoDB (dynalite) and S3
(s3rver) persisted under the data dir, the local Step Functions runtime (the same ASL files, executions
persisted: a restart loses nothing), S3 events into the proposal workflow, the monthly stipulation
schedule (Asia/Jakarta) and the approvals API with local users. Other dtks commands find it through
<data-dir>/local.json. Point the AWS CLI or an SDK at the printed endpoints.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'sfn-port': { type: 'string' },
      'api-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals[0] !== 'up') {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  const dataDir = values['data-dir'];
  const running = readLocalDescription(dataDir);
  if (running) throw new CliError(`a local environment already runs for ${dataDir} (pid ${running.pid})`);
  const port = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--${name} must be a port number`);
    return n;
  };
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const { startLocalEnvironment } = await import('#local/environment.ts');
  const environment = await startLocalEnvironment({
    dataDir,
    ports: {
      dynamo: port('dynamodb-port', values['dynamodb-port']),
      s3: port('s3-port', values['s3-port']),
      sfn: port('sfn-port', values['sfn-port']),
      api: port('api-port', values['api-port']),
    },
    log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
  });
  const e = environment.endpoints;
  process.stdout.write(
    [
      `DTKS local environment up (data: ${dataDir})`,
      `  DynamoDB        ${e.dynamoEndpoint}`,
      `  S3              ${e.s3Endpoint}   buckets: ${Object.values(environment.names.buckets).join(', ')}`,
      `  Step Functions  ${e.sfnEndpoint}`,
      `  Approvals API   ${e.approvalsUrl}   (Authorization: Bearer <user>)`,
      `  users           ${environment.users.map((u) => u.username).join(', ')}`,
      `  proposal workflow     ${environment.stateMachines.proposal}`,
      `  stipulation workflow  ${environment.stateMachines.stipulation}`,
      '',
      `e.g.  aws --endpoint-url ${e.s3Endpoint} s3 ls s3://${environment.names.buckets.proposals}/`,
      `      npm run dtks -- upload usulan.csv --regency 3371 --wait`,
      'Ctrl-C stops it; the data stays in the data dir.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping…\n');
  await environment.stop();
  return 0;
}
