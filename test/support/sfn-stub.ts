/**
 * A tiny Step Functions API on loopback that records SendTaskSuccess/SendTaskFailure calls. A real HTTP
 * server speaking the awsJson1_0 protocol, so the handlers' real SFNClient talks to it unchanged; used
 * until (or instead of) the local runtime of local/sfn where a test only needs to see the task results.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedTaskCall {
  /** The API action, e.g. 'SendTaskSuccess'. */
  action: string;
  taskToken: string;
  /** Parsed `output` of SendTaskSuccess. */
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface SfnStub {
  endpoint: string;
  calls: RecordedTaskCall[];
  /**
   * Answer this token with a Step Functions error (e.g. 'TaskTimedOut', 'InvalidToken'), `times` times
   * (default: from now on).
   */
  failToken(taskToken: string, errorType: string, times?: number): void;
  /**
   * What ListExecutions answers (every state machine, filtered by statusFilter); StartExecution adds a
   * RUNNING execution named as asked (a name in use answers as AWS does: see StartExecution below).
   */
  executions: StubExecution[];
  /**
   * When set (epoch seconds), ListExecutions leaves out the executions started since: AWS's listing is
   * eventually consistent, and two callers may both list before either has started its run.
   */
  listedAsOf?: number;
  stop(): Promise<void>;
}

export interface StubExecution {
  executionArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** Epoch seconds, as the awsJson protocol carries dates. */
  startDate: number;
  stopDate?: number;
  input?: string;
}

export async function startSfnStub(): Promise<SfnStub> {
  const calls: RecordedTaskCall[] = [];
  const executions: StubExecution[] = [];
  const failures = new Map<string, { errorType: string; remaining: number }>();
  const stub = {} as SfnStub;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string | undefined>;
      const taskToken = body.taskToken ?? '';
      const failure = failures.get(taskToken);
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: failure.errorType, message: `Task ${failure.errorType}` }));
        return;
      }
      if (action === 'StartExecution') {
        const name = body.name ?? `stub-${executions.length + 1}`;
        const executionArn = `${body.stateMachineArn?.replace(':stateMachine:', ':execution:')}:${name}`;
        // AWS's rule for a name in use: the same input while it runs is the same start (idempotent success,
        // the original answer); another input, or an execution that has ended, is ExecutionAlreadyExists.
        const existing = executions.find((candidate) => candidate.executionArn === executionArn);
        if (existing) {
          const same = existing.status === 'RUNNING' && existing.input === body.input;
          response.statusCode = same ? 200 : 400;
          response.end(
            JSON.stringify(
              same
                ? { executionArn, startDate: existing.startDate }
                : { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${executionArn}'` },
            ),
          );
          return;
        }
        const execution: StubExecution = {
          executionArn,
          name,
          status: 'RUNNING',
          startDate: Date.now() / 1000,
          input: body.input,
        };
        executions.unshift(execution);
        response.statusCode = 200;
        response.end(JSON.stringify({ executionArn: execution.executionArn, startDate: execution.startDate }));
        return;
      }
      if (action === 'ListExecutions') {
        const asOf = stub.listedAsOf ?? Number.POSITIVE_INFINITY;
        const listed = executions.filter(
          ({ status, startDate }) => (!body.statusFilter || status === body.statusFilter) && startDate < asOf,
        );
        response.statusCode = 200;
        response.end(JSON.stringify({ executions: listed.map(({ input: _input, ...item }) => item) }));
        return;
      }
      calls.push({
        action,
        taskToken,
        ...(body.output !== undefined ? { output: JSON.parse(body.output) } : {}),
        ...(body.error !== undefined ? { error: body.error } : {}),
        ...(body.cause !== undefined ? { cause: body.cause } : {}),
      });
      response.statusCode = 200;
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(stub, {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    executions,
    failToken: (taskToken, errorType, times = Number.POSITIVE_INFINITY) =>
      void failures.set(taskToken, { errorType, remaining: times }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } satisfies Omit<SfnStub, 'listedAsOf'>);
  return stub;
}
