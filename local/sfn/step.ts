/**
 * What running one state yields — the next state, the end of its frame, or a failure — and how an error
 * thrown while running it becomes a failure (an Error name and a Cause, as Retry/Catch match them).
 */
import type { Json } from './definition.ts';
import { StatesError } from './errors.ts';
import type { Failure } from './store.ts';

export type Step =
  | { kind: 'next'; next: string; output: Json }
  | { kind: 'end'; output: Json }
  | ({ kind: 'fail' } & Failure);

/** Next or End of a state that has one of them. */
export function transition(state: { Next?: string; End?: boolean }, output: Json): Step {
  return state.Next !== undefined ? { kind: 'next', next: state.Next, output } : { kind: 'end', output };
}

/** A StatesError keeps its name; anything else is a defect of the runtime: States.Runtime. */
export function toFailure(error: unknown): Failure {
  if (error instanceof StatesError) return { error: error.error, cause: error.causeText };
  return { error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
}
