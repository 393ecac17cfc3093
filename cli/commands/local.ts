/** dtks local up [--data-dir .dtks] [--port-*] — the long-running local environment. */
import { parseCommand } from '../args.ts';
import { CliError } from '../errors.ts';
import { DEFAULT_DATA_DIR, readLocalDescription } from '../target.ts';

const HELP = `dtks local up [--data-dir .dtks] [--dynamodb-port N] [--s3-port N] [--sfn-port N] [--api-port N]

Starts the whole pipeline on loopback and keeps it running until Ctrl-C: DynamoDB (dynalite) and S3
(s3rver) persisted under the data dir, the local Step Functions runtime (the same ASL files, executions
persisted: a restart loses nothing), S3 events into the proposal workflow, the monthly stipulation
schedule (Asia/Jakarta) and the approvals API with local users. Other dtks commands find it through
<data-dir>/local.json. Point the AWS CLI or an SDK at the printed endpoints.`;

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
  const { startLocalEnvironment } = await import('#local/environment.ts');
  const environment = await startLocalEnvironment({
    dataDir,
    ports: {
      dynamo: values['dynamodb-port'],
      s3: values['s3-port'],
      sfn: values['sfn-port'],
      api: values['api-port'],
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
