/**
 * The proposals table (TABLES.proposals, single-table) and the keys of what it stores, one repository
 * each: a proposal's META item and status (proposals-repository.ts), its approval and stipulation tasks
 * with their tokens (tasks-repository.ts), the approvers' decisions (decisions-repository.ts), the audit
 * trail (audit-trail.ts) and the stipulation periods (periods-repository.ts).
 *
 * dynalite (the local DynamoDB) has no transactions, and none are needed: every write is a conditional
 * single-item write, ordered so that a step retried after a crash between two writes converges (a
 * status transition is recognised as already done; audit events of transitions have deterministic keys).
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ApprovalLevel } from './contracts.ts';

export type TaskKind = ApprovalLevel | 'STIPULATION';

export const proposalPk = (proposalId: string) => `PROPOSAL#${proposalId}`;
export const periodPk = (period: string) => `PERIOD#${period}`;
export const META = 'META';
export const COLLECTION = 'COLLECTION';
export const taskSk = (kind: TaskKind) => `TASK#${kind}`;
export const decisionSk = (level: ApprovalLevel) => `DECISION#${level}`;
export const EVENT_PREFIX = 'EVENT#';
export const DECISION_PREFIX = 'DECISION#';

export function isConditionFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** The item without its table keys. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/** Every item of a query, page after page. */
export async function* queryAll(
  documents: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) yield item;
    start = page.LastEvaluatedKey;
  } while (start);
}
