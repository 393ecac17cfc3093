/**
 * The Lambda functions, in-process: the local runtime invokes the very handlers the cloud runs
 * (functions/<name>/handler.ts), by the same ARNs the state machines name.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionName } from '#shared/contracts.ts';
import { LOCAL_ACCOUNT } from './events.ts';

export const LOCAL_REGION = 'ap-southeast-3';

export function localFunctionName(name: FunctionName): string {
  return `dtks-${name}`;
}

export function localFunctionArn(name: FunctionName): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${localFunctionName(name)}`;
}

/** The definitionSubstitutions of the local environment: every ASL placeholder → a local ARN. */
export function localSubstitutions(): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const [name, { placeholder }] of Object.entries(FUNCTIONS)) {
    if (placeholder) substitutions[placeholder] = localFunctionArn(name as FunctionName);
  }
  return substitutions;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A function failed: `name` is the Lambda errorType the state machine's Retry/Catch match on. */
export class FunctionNotFoundError extends Error {
  override readonly name = 'FunctionNotFoundError';
}

/** Resolves local ARNs (or bare names) to handlers, importing each module once, on first use. */
export class LocalFunctions {
  private readonly handlers = new Map<FunctionName, Promise<Handler>>();

  resolve(arnOrName: string): FunctionName {
    const name =
      arnOrName
        .split(':')
        .pop()
        ?.replace(/^dtks-/, '') ?? '';
    if (!(name in FUNCTIONS)) throw new FunctionNotFoundError(`Function not found: ${arnOrName}`);
    return name as FunctionName;
  }

  async invoke(arnOrName: string, payload: unknown): Promise<unknown> {
    const name = this.resolve(arnOrName);
    let handler = this.handlers.get(name);
    if (!handler) {
      handler = import(`../functions/${name}/handler.ts`).then((module: { handler: Handler }) => module.handler);
      this.handlers.set(name, handler);
    }
    return (await handler)(structuredClone(payload), lambdaContext(localFunctionName(name)));
  }
}

/**
 * The context the Lambda runtime hands a handler beside its event, as the local runtime, the benches and the
 * tests give it: a fresh 15 minutes from the moment it is made, so a handler that watches
 * getRemainingTimeInMillis (Apply's time budget) sees what it sees at the start of an invocation.
 */
export function lambdaContext(
  functionName: string,
  { memoryLimitInMB = 1024, logStreamName = 'local' }: { memoryLimitInMB?: number; logStreamName?: string } = {},
): Context {
  const deadline = Date.now() + 15 * 60 * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
