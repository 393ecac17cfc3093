/**
 * The two kinds of errors of the local Step Functions runtime: errors inside an execution (an Error name
 * and a Cause, matched by Retry/Catch like on AWS) and errors of the Step Functions API (a `__type` the
 * SDK maps to its exception classes).
 */

/** An error inside an execution: `error` is what Retry/Catch ErrorEquals match, `cause` the detail. */
export class StatesError extends Error {
  override readonly name = 'StatesError';
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
  }
}

/** A Step Functions API error; `type` is the API's error code (ExecutionDoesNotExist, TaskTimedOut, …). */
export class StepFunctionsApiError extends Error {
  override readonly name = 'StepFunctionsApiError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
