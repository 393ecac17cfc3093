/**
 * The tasks of a proposal (PROPOSAL#<id> / TASK#REGENCY|PROVINCE|STIPULATION): each with the token of the
 * waiting workflow state. The token is for the handlers that answer Step Functions (task-tokens.ts), never
 * for clients: a client-facing read does not even fetch it.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ProposalSource, sourceOf } from '#core/source.ts';
import { AuditTrail } from './audit-trail.ts';
import { type ApprovalLevel, TABLES } from './contracts.ts';
import type { ProposalRecord } from './proposals-repository.ts';
import { isConditionFailure, proposalPk, queryAll, type TaskKind, taskSk } from './proposals-table.ts';

export type { TaskKind } from './proposals-table.ts';

const { taskIndex } = TABLES.proposals;

/** A task as clients may see it: never the token. */
export interface TaskView {
  proposalId: string;
  level: TaskKind;
  regency: string;
  province: string;
  period: string;
  /** Where the proposal came from (its record's source), so an approver sees it in the list. */
  source: ProposalSource;
  createdAt: string;
  state: 'OPEN' | 'CLOSED';
  closedAt?: string;
  closedBy?: string;
}

interface TaskItem extends TaskView {
  pk: string;
  sk: string;
  taskToken: string;
  /** Present only while the approval task is open: the sparse byTaskScope index lists open tasks. */
  taskScope?: string;
}

/** Open approval tasks are listed by scope: the regency's approvers, or the province's. */
export function taskScope(level: ApprovalLevel, proposal: Pick<ProposalRecord, 'regency' | 'province'>): string {
  return level === 'REGENCY' ? `REGENCY#${proposal.regency}` : `PROVINCE#${proposal.province}`;
}

export class TasksRepository {
  private readonly audit: AuditTrail;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.audit = new AuditTrail(documents, tableName);
  }

  /**
   * Stores an open task with its token. An approval task gets a taskScope and so appears in the
   * approvers' list; the stipulation task does not. A retried step overwrites the task with the token of
   * its own (new) state entry, which is the one Step Functions waits on.
   */
  async openTask(proposal: ProposalRecord, kind: TaskKind, taskToken: string): Promise<TaskView> {
    const createdAt = new Date().toISOString();
    const item: TaskItem = {
      pk: proposalPk(proposal.proposalId),
      sk: taskSk(kind),
      proposalId: proposal.proposalId,
      level: kind,
      regency: proposal.regency,
      province: proposal.province,
      period: proposal.period,
      source: sourceOf(proposal),
      createdAt,
      state: 'OPEN',
      taskToken,
      ...(kind === 'STIPULATION' ? {} : { taskScope: taskScope(kind, proposal) }),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
    await this.audit.addEvent(proposal.proposalId, {
      at: createdAt,
      kind: 'TASK_OPENED',
      actor: 'system',
      detail: kind,
    });
    const { pk: _pk, sk: _sk, taskToken: _token, taskScope: _scope, ...view } = item;
    return view;
  }

  /** The task with its token: for the handlers that answer Step Functions, never for clients. */
  async getTaskWithToken(proposalId: string, kind: TaskKind): Promise<(TaskView & { taskToken: string }) | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: proposalPk(proposalId), sk: taskSk(kind) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, taskScope: _scope, ...task } = Item as TaskItem;
    return task;
  }

  /** Closes an open task (it leaves the approvers' list); closing a closed or missing task does nothing. */
  async closeTask(proposalId: string, kind: TaskKind, closedBy: string): Promise<boolean> {
    const now = new Date().toISOString();
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: proposalPk(proposalId), sk: taskSk(kind) },
          UpdateExpression: 'SET #state = :closed, closedAt = :now, closedBy = :by REMOVE taskScope',
          ConditionExpression: 'attribute_exists(pk) AND #state = :open',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':closed': 'CLOSED', ':open': 'OPEN', ':now': now, ':by': closedBy },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.audit.addEvent(proposalId, { at: now, kind: 'TASK_CLOSED', actor: closedBy, detail: kind });
    return true;
  }

  /** Open approval tasks of a scope (REGENCY#3371, PROVINCE#33), oldest first, without tokens. */
  async listOpenTasks(scope: string): Promise<TaskView[]> {
    const tasks: TaskView[] = [];
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      IndexName: taskIndex.name,
      KeyConditionExpression: '#scope = :scope',
      // The token is not even read: a client-facing list must not be able to leak it.
      ProjectionExpression: 'proposalId, #level, regency, province, #period, #source, createdAt, #state',
      ExpressionAttributeNames: {
        '#scope': taskIndex.partitionKey,
        '#level': 'level',
        '#period': 'period',
        '#source': 'source',
        '#state': 'state',
      },
      ExpressionAttributeValues: { ':scope': scope },
    })) {
      // A task opened before sources were kept has none: its proposal was the regency's own (MUSDES).
      const task = item as unknown as TaskView;
      tasks.push({ ...task, source: sourceOf(task) });
    }
    return tasks;
  }
}
