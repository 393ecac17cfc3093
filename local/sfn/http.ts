/**
 * The Step Functions API of the local runtime over HTTP on loopback, in the awsJson1_0 protocol that
 * @aws-sdk/client-sfn (AwsJson1_0Protocol, target prefix "AWSStepFunctions") and `aws stepfunctions`
 * speak: POST /, X-Amz-Target: AWSStepFunctions.<Operation>, JSON body; timestamps as epoch seconds;
 * errors as HTTP 400 with {"__type", "message"}. Signatures are not checked: loopback only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StepFunctionsApiError } from './errors.ts';
import type { StepFunctionsRuntime } from './runtime.ts';

export interface StepFunctionsApiServer {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

type Operation = (runtime: StepFunctionsRuntime, body: Record<string, unknown>) => unknown;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (runtime, body) =>
    runtime.startExecution({
      stateMachineArn: text(body, 'stateMachineArn'),
      ...optional(body, 'name'),
      ...optional(body, 'input'),
    }),
  DescribeExecution: (runtime, body) => runtime.describeExecution({ executionArn: text(body, 'executionArn') }),
  ListExecutions: (runtime, body) =>
    runtime.listExecutions({
      ...optional(body, 'stateMachineArn'),
      ...optional(body, 'mapRunArn'),
      ...(typeof body.statusFilter === 'string'
        ? { statusFilter: body.statusFilter as 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' }
        : {}),
      ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
      ...optional(body, 'nextToken'),
    }),
  GetExecutionHistory: (runtime, body) =>
    runtime.getExecutionHistory({
      executionArn: text(body, 'executionArn'),
      ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
      ...(typeof body.reverseOrder === 'boolean' ? { reverseOrder: body.reverseOrder } : {}),
      ...(typeof body.includeExecutionData === 'boolean' ? { includeExecutionData: body.includeExecutionData } : {}),
      ...optional(body, 'nextToken'),
    }),
  StopExecution: (runtime, body) =>
    runtime.stopExecution({
      executionArn: text(body, 'executionArn'),
      ...optional(body, 'error'),
      ...optional(body, 'cause'),
    }),
  SendTaskSuccess: (runtime, body) =>
    runtime.sendTaskSuccess({ taskToken: text(body, 'taskToken'), output: text(body, 'output') }),
  SendTaskFailure: (runtime, body) =>
    runtime.sendTaskFailure({
      taskToken: text(body, 'taskToken'),
      ...optional(body, 'error'),
      ...optional(body, 'cause'),
    }),
  SendTaskHeartbeat: (runtime, body) => runtime.sendTaskHeartbeat({ taskToken: text(body, 'taskToken') }),
  DescribeMapRun: (runtime, body) => runtime.describeMapRun({ mapRunArn: text(body, 'mapRunArn') }),
  ListMapRuns: (runtime, body) =>
    runtime.listMapRuns({
      executionArn: text(body, 'executionArn'),
      ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
      ...optional(body, 'nextToken'),
    }),
  DescribeStateMachine: (runtime, body) =>
    runtime.describeStateMachine({ stateMachineArn: text(body, 'stateMachineArn') }),
  DescribeStateMachineForExecution: (runtime, body) =>
    runtime.describeStateMachineForExecution({ executionArn: text(body, 'executionArn') }),
  ListTagsForResource: (runtime, body) => runtime.listTagsForResource({ resourceArn: text(body, 'resourceArn') }),
  ValidateStateMachineDefinition: (runtime, body) =>
    runtime.validateStateMachineDefinition({
      definition: text(body, 'definition'),
      ...optional(body, 'type'),
      ...optional(body, 'severity'),
      ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
    }),
  ListStateMachines: (runtime, body) =>
    runtime.listStateMachines({
      ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
      ...optional(body, 'nextToken'),
    }),
};

/** Serves the runtime's API on 127.0.0.1 (port 0 picks a free port). */
export async function serveStepFunctionsApi(
  runtime: StepFunctionsRuntime,
  options: { port?: number; host?: string } = {},
): Promise<StepFunctionsApiServer> {
  const server: Server = createServer((request, response) => {
    handle(runtime, request, response).catch((error: unknown) => {
      send(response, 500, {
        __type: 'InternalFailure',
        message: error instanceof Error ? error.message : String(error),
      });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  runtime: StepFunctionsRuntime,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const target = String(request.headers['x-amz-target'] ?? '');
  const [service, operationName = ''] = target.split('.');
  const operation = OPERATIONS[operationName];
  if (request.method !== 'POST' || service !== 'AWSStepFunctions' || !operation) {
    send(response, 400, { __type: 'UnknownOperationException', message: `Unknown operation ${target}` });
    return;
  }
  let body: Record<string, unknown>;
  try {
    const raw = Buffer.concat(chunks).toString('utf8');
    body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  } catch {
    send(response, 400, { __type: 'SerializationException', message: 'The request body is not valid JSON' });
    return;
  }
  try {
    send(response, 200, (await operation(runtime, body)) ?? {});
  } catch (error) {
    if (error instanceof StepFunctionsApiError) {
      send(response, 400, { __type: error.type, message: error.message });
      return;
    }
    throw error;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  // awsJson1_0 timestamps are epoch seconds.
  const json = JSON.stringify(body, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    return original instanceof Date ? original.getTime() / 1000 : value;
  });
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(json),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(json);
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') {
    throw new StepFunctionsApiError('ValidationException', `${field} is required and must be a string`);
  }
  return value;
}

function optional(body: Record<string, unknown>, field: string): Record<string, string> {
  const value = body[field];
  return typeof value === 'string' ? { [field]: value } : {};
}
