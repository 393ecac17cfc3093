/**
 * The stipulation guard's task of a period (PERIOD#<YYYY-MM>, sk GUARD): the verdict of the run that is
 * waiting, its task token, and the ministry's sign-off once recorded. Kept like the approval tasks'
 * (tasks-repository.ts): the token is for the handlers that answer Step Functions (task-tokens.ts), never
 * for clients, and a client-facing read does not even fetch it. The item is the period's, not the run's: a
 * rerun after a hold opens a new task over it, and the earlier runs' answers stay in `earlier`.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { GuardSignOff, GuardVerdictSummary } from './contracts.ts';
import { isConditionFailure, periodPk, stripKeys } from './proposals-table.ts';

/** The sort key of a period's guard task, beside META (the record) and COLLECTION. */
export const GUARD = 'GUARD';

/** The guard task as clients may see it: never the token. */
export interface GuardTaskView {
  period: string;
  /** The stipulation execution waiting on the task. */
  executionId: string;
  verdict: GuardVerdictSummary;
  state: 'OPEN' | 'CLOSED';
  createdAt: string;
  closedAt?: string;
  /** The sign-off of this run, once the approvals API recorded it. */
  signOff?: GuardSignOff;
  /** The answers to earlier runs of the period (a hold, then a rerun that asked again), oldest first. */
  earlier?: GuardSignOff[];
}

interface GuardItem extends GuardTaskView {
  taskToken?: string;
}

const VIEW_FIELDS = ['period', 'executionId', 'verdict', 'state', 'createdAt', 'closedAt', 'signOff', 'earlier'];

export class GuardRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(period: string) {
    return { pk: periodPk(period), sk: GUARD };
  }

  /**
   * Opens the run's task with its token. A retried step of the same run overwrites the token with its own
   * (the one Step Functions waits on); another run's task is replaced, its answer kept in `earlier`.
   */
  async openTask(verdict: GuardVerdictSummary, taskToken: string): Promise<GuardTaskView> {
    const previous = await this.getTask(verdict.period);
    const earlier = [...(previous?.earlier ?? [])];
    if (previous?.signOff && previous.executionId !== verdict.executionId) earlier.push(previous.signOff);
    const item: GuardItem = {
      period: verdict.period,
      executionId: verdict.executionId,
      verdict,
      state: 'OPEN',
      createdAt: new Date().toISOString(),
      taskToken,
      ...(earlier.length ? { earlier } : {}),
    };
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...this.key(verdict.period), ...item } }),
    );
    const { taskToken: _token, ...view } = item;
    return view;
  }

  /** The task with its token: for the handlers that answer Step Functions, never for clients. */
  async getTaskWithToken(period: string): Promise<(GuardTaskView & { taskToken?: string }) | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(period), ConsistentRead: true }),
    );
    return Item ? stripKeys<GuardItem>(Item) : undefined;
  }

  /** The task as clients may see it: the token is not even read. */
  async getTask(period: string): Promise<GuardTaskView | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: this.key(period),
        ConsistentRead: true,
        ProjectionExpression: VIEW_FIELDS.map((_, i) => `#f${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(VIEW_FIELDS.map((field, i) => [`#f${i}`, field])),
      }),
    );
    return Item as GuardTaskView | undefined;
  }

  /**
   * Records the sign-off on the run's open task, once: false when the task is closed, answered, or another
   * run's (a sign-off never carries over to a rerun).
   */
  async recordSignOff(signOff: GuardSignOff): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(signOff.period),
          UpdateExpression: 'SET signOff = :signOff',
          ConditionExpression:
            'attribute_exists(pk) AND #state = :open AND executionId = :execution AND attribute_not_exists(signOff)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':signOff': signOff, ':open': 'OPEN', ':execution': signOff.executionId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Closes the run's task and drops its token (nobody may answer it again); a closed task stays as it is. */
  async closeTask(period: string, executionId: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(period),
          UpdateExpression: 'SET #state = :closed, closedAt = :now REMOVE taskToken',
          ConditionExpression: 'attribute_exists(pk) AND #state = :open AND executionId = :execution',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':closed': 'CLOSED',
            ':open': 'OPEN',
            ':now': new Date().toISOString(),
            ':execution': executionId,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
