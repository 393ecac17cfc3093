/**
 * One Powertools Logger and Metrics for every function. The service name comes from
 * POWERTOOLS_SERVICE_NAME, which the stack sets per function (locally all run in one process as `dtks`);
 * the function name and request id are added per invocation by the middleware.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'dtks';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Dtks',
});

/**
 * An error's message as a log line may carry it: none for a SyntaxError, whose message (JSON.parse's) quotes
 * the start of the text it failed on, and that text may be a stored row naming a person.
 */
export function loggableMessage(error: unknown): string | undefined {
  return error instanceof SyntaxError ? undefined : (error as Error | undefined)?.message;
}
