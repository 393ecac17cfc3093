/**
 * The proposals table (TABLES.proposals, single-table): a proposal's META item and status, its approval
 * and stipulation tasks with their tokens, the approvers' decisions, the audit trail, and the
 * stipulation periods.
 *
 * dynalite (the local DynamoDB) has no transactions, and none are needed: every write is a conditional
 * single-item write, ordered so that a step retried after a crash between two writes converges (a
 * status transition is recognised as already done; audit events of transitions have deterministic keys).
 */
import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ProposalStatus, StatusConflictError, sourcesOf, TAKE_OVER_FROM } from '#core/lifecycle.ts';
import type { FileWarning } from '#core/report.ts';
import type { ApprovalDecision, ApprovalLevel, Exclusion, StipulationRelease } from './contracts.ts';
import { TABLES } from './contracts.ts';
import { ProposalNotFoundError } from './errors.ts';

const { taskIndex, stipulationIndex, regencyIndex } = TABLES.proposals;

/** Counts of a check, as stored on the proposal (the CheckSummary of core/integrity.ts). */
export interface CheckSummaryRecord {
  rows: number;
  accepted: number;
  returned: number;
  withWarnings: number;
  codes: Record<string, number>;
}

/** What the stipulation run decided for one proposal (written by resolve, read by release). */
export interface StipulationCounts {
  period: string;
  /** Changes of this proposal in the period's change set. */
  changes: number;
  /** Accepted rows lost to an earlier-approved proposal claiming the same person. */
  conflicts: number;
  /** Rows removed by an approver's exclusion (NIK or whole KK). */
  excluded: number;
}

export interface ProposalRecord {
  proposalId: string;
  /** 4 digits; '' when the upload key did not name one. */
  regency: string;
  province: string;
  /** YYYY-MM; '' when the upload key did not name one. */
  period: string;
  status: ProposalStatus;
  previousStatus?: ProposalStatus;
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  executionId: string;
  receivedAt: string;
  updatedAt: string;
  statusChangedAt: string;
  rows?: number;
  /** How Ingest read the file: delimiter, BOM, encoding (Windows-1252 fallback), unknown columns. */
  file?: {
    delimiter: string;
    bom: boolean;
    encoding: string;
    windows1252FromLine?: number;
    /** The first unknown column names (core/proposal-reader.ts bounds them) and how many there are. */
    unknownColumns: string[];
    unknownColumnCount?: number;
  };
  /** File-level warnings (Windows-1252 fallback, unknown columns), once each, in the report language. */
  warnings?: FileWarning[];
  summary?: CheckSummaryRecord;
  /** Set when Ingest failed on this proposal (the file was not staged): a re-upload may take it over. */
  ingestFailure?: { at: string; error: string };
  reportKey?: string;
  /** The same report as .xlsx (NIK and No. KK as text cells, the summary as a second sheet). */
  reportXlsxKey?: string;
  /** The summary beside the report (file-level warnings, rows per code, totals). */
  summaryKey?: string;
  /** Why the proposal ended where it did (RETURNED/REJECTED/EXPIRED/FAILED), for the region. */
  reason?: string;
  error?: { Error?: string; Cause?: string };
  approvedAt?: string;
  stipulation?: StipulationCounts;
  release?: StipulationRelease;
}

export type TaskKind = ApprovalLevel | 'STIPULATION';

/** A task as clients may see it: never the token. */
export interface TaskView {
  proposalId: string;
  level: TaskKind;
  regency: string;
  province: string;
  period: string;
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

export interface DecisionRecord extends ApprovalDecision {
  proposalId: string;
}

export type AuditKind = 'STATUS' | 'TASK_OPENED' | 'TASK_CLOSED' | 'DECISION' | 'REFUSED' | 'NOTE';

export interface AuditEvent {
  proposalId: string;
  at: string;
  kind: AuditKind;
  actor: string;
  from?: string;
  to?: string;
  detail?: string;
}

export interface PeriodRecord {
  period: string;
  recordedAt: string;
  carriedForward: boolean;
  proposals: { proposalId: string; regency: string }[];
  counts: Record<string, number>;
  manifestKey?: string;
  /** The stipulation execution that recorded it (a retry of the same step is told apart from a rerun). */
  executionId?: string;
}

/**
 * The proposals a period's stipulation took from the queue, fixed by its first run (PERIOD#<period>,
 * sk COLLECTION). A rerun after a failed run stipulates the same proposals, those the failed run already
 * released (and took out of the queue) included; proposals queued since then wait for the next period.
 */
export interface PeriodCollection {
  period: string;
  collectedAt: string;
  proposals: { proposalId: string; regency: string }[];
}

export interface TransitionOptions {
  /** Attributes set in the same write. */
  set?: Record<string, unknown>;
  /** Attributes removed in the same write (e.g. the stipulation queue keys). */
  remove?: readonly string[];
  actor?: string;
  detail?: string;
}

const proposalPk = (proposalId: string) => `PROPOSAL#${proposalId}`;
const periodPk = (period: string) => `PERIOD#${period}`;
const META = 'META';
const COLLECTION = 'COLLECTION';
const taskSk = (kind: TaskKind) => `TASK#${kind}`;
const decisionSk = (level: ApprovalLevel) => `DECISION#${level}`;

/** Open approval tasks are listed by scope: the regency's approvers, or the province's. */
export function taskScope(level: ApprovalLevel, proposal: Pick<ProposalRecord, 'regency' | 'province'>): string {
  return level === 'REGENCY' ? `REGENCY#${proposal.regency}` : `PROVINCE#${proposal.province}`;
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

export class ProposalsRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a new proposal; returns the existing one instead when the id is taken. */
  async create(record: ProposalRecord): Promise<{ created: true } | { created: false; existing: ProposalRecord }> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: proposalPk(record.proposalId), sk: META, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { created: false, existing: await this.require(record.proposalId) };
    }
    await this.addEvent(record.proposalId, {
      at: record.receivedAt,
      kind: 'STATUS',
      actor: 'system',
      to: record.status,
      detail: record.key,
      eventKey: `STATUS#${record.status}`,
    });
    return { created: true };
  }

  async get(proposalId: string): Promise<ProposalRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: proposalPk(proposalId), sk: META },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<ProposalRecord>(Item) : undefined;
  }

  async require(proposalId: string): Promise<ProposalRecord> {
    const record = await this.get(proposalId);
    if (!record) throw new ProposalNotFoundError(proposalId);
    return record;
  }

  /**
   * Moves the proposal to `to` if the lifecycle has a move there from its status (core/lifecycle.ts), with
   * an audit event. A retry of a transition already made (the status is `to`) succeeds without a second
   * change and rewrites the same audit event; any other status is a StatusConflictError.
   */
  async transition(proposalId: string, to: ProposalStatus, options: TransitionOptions = {}): Promise<ProposalRecord> {
    const from = sourcesOf(to);
    // Nothing moves to RECEIVED: a proposal starts there (create), or a re-upload takes it over.
    if (from.length === 0) throw new StatusConflictError(proposalId, to, from);
    const now = new Date().toISOString();
    const names: Record<string, string> = {
      '#status': 'status',
      '#previous': 'previousStatus',
      '#changed': 'statusChangedAt',
      '#updated': 'updatedAt',
    };
    const values: Record<string, unknown> = { ':to': to, ':now': now };
    const fromPlaceholders = from.map((status, i) => {
      values[`:from${i}`] = status;
      return `:from${i}`;
    });
    const sets = ['#previous = #status', '#status = :to', '#changed = :now', '#updated = :now'];
    Object.entries(options.set ?? {}).forEach(([name, value], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    });
    const removes = (options.remove ?? []).map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    let record: ProposalRecord;
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: proposalPk(proposalId), sk: META },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${fromPlaceholders.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      record = stripKeys<ProposalRecord>(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.require(proposalId);
      if (current.status !== to) throw new StatusConflictError(proposalId, to, from);
      record = current;
    }
    await this.addEvent(proposalId, {
      at: record.statusChangedAt,
      kind: 'STATUS',
      actor: options.actor ?? 'system',
      from: record.previousStatus,
      to,
      detail: options.detail,
      eventKey: `STATUS#${to}`,
    });
    return record;
  }

  /** Sets attributes of the META item without a status change (only while the proposal is in `inStatus`). */
  async update(
    proposalId: string,
    set: Record<string, unknown>,
    inStatus?: readonly ProposalStatus[],
    remove: readonly string[] = [],
  ): Promise<void> {
    const names: Record<string, string> = { '#updated': 'updatedAt' };
    const values: Record<string, unknown> = { ':now': new Date().toISOString() };
    const sets = ['#updated = :now'];
    Object.entries(set).forEach(([name, value], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    });
    const removes = remove.map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    let condition = 'attribute_exists(pk)';
    if (inStatus?.length) {
      names['#status'] = 'status';
      condition += ` AND #status IN (${inStatus
        .map((status, i) => {
          values[`:in${i}`] = status;
          return `:in${i}`;
        })
        .join(', ')})`;
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: proposalPk(proposalId), sk: META },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.require(proposalId);
      throw new StatusConflictError(proposalId, current.status, inStatus ?? []);
    }
  }

  /**
   * Hands a proposal whose ingest failed (FAILED with `ingestFailure`) or was abandoned (still RECEIVED)
   * to a new execution: the one started by a re-upload of the same object. Conditional on the execution
   * that held it, so two re-uploads at once cannot both take it. False when it is no longer so.
   */
  async takeOverIngest(
    proposalId: string,
    from: Pick<ProposalRecord, 'executionId' | 'status'>,
    executionId: string,
  ): Promise<boolean> {
    if (!TAKE_OVER_FROM.includes(from.status)) throw new StatusConflictError(proposalId, 'RECEIVED', TAKE_OVER_FROM);
    const now = new Date().toISOString();
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: proposalPk(proposalId), sk: META },
          UpdateExpression:
            'SET executionId = :new, #status = :received, #previous = :from, statusChangedAt = :now, updatedAt = :now REMOVE ingestFailure, reason, #error',
          ConditionExpression: 'attribute_exists(pk) AND executionId = :old AND #status = :from',
          ExpressionAttributeNames: { '#status': 'status', '#previous': 'previousStatus', '#error': 'error' },
          ExpressionAttributeValues: {
            ':new': executionId,
            ':old': from.executionId,
            ':from': from.status,
            ':received': 'RECEIVED',
            ':now': now,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.addEvent(proposalId, {
      at: now,
      kind: 'STATUS',
      actor: 'system',
      from: from.status,
      to: 'RECEIVED',
      detail: `Diterima ulang setelah penerimaan sebelumnya gagal (eksekusi ${from.executionId})`,
      eventKey: 'STATUS#RECEIVED',
    });
    return true;
  }

  /**
   * Appends an audit event. `eventKey` makes the event's key deterministic (a retried step rewrites the
   * same event); without it every call is a new event.
   */
  async addEvent(proposalId: string, event: Omit<AuditEvent, 'proposalId'> & { eventKey?: string }): Promise<void> {
    const { eventKey, ...rest } = event;
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: proposalPk(proposalId),
          sk: `EVENT#${rest.at}#${eventKey ?? `${rest.kind}#${randomUUID()}`}`,
          proposalId,
          ...rest,
        },
      }),
    );
  }

  /** The audit trail, oldest first. */
  async listEvents(proposalId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const item of this.query({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': proposalPk(proposalId), ':prefix': 'EVENT#' },
    })) {
      events.push(stripKeys<AuditEvent>(item));
    }
    return events;
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
      createdAt,
      state: 'OPEN',
      taskToken,
      ...(kind === 'STIPULATION' ? {} : { taskScope: taskScope(kind, proposal) }),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
    await this.addEvent(proposal.proposalId, {
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
    await this.addEvent(proposalId, { at: now, kind: 'TASK_CLOSED', actor: closedBy, detail: kind });
    return true;
  }

  /** Open approval tasks of a scope (REGENCY#3371, PROVINCE#33), oldest first, without tokens. */
  async listOpenTasks(scope: string): Promise<TaskView[]> {
    const tasks: TaskView[] = [];
    for await (const item of this.query({
      TableName: this.tableName,
      IndexName: taskIndex.name,
      KeyConditionExpression: '#scope = :scope',
      // The token is not even read: a client-facing list must not be able to leak it.
      ProjectionExpression: 'proposalId, #level, regency, province, #period, createdAt, #state',
      ExpressionAttributeNames: {
        '#scope': taskIndex.partitionKey,
        '#level': 'level',
        '#period': 'period',
        '#state': 'state',
      },
      ExpressionAttributeValues: { ':scope': scope },
    })) {
      tasks.push(item as unknown as TaskView);
    }
    return tasks;
  }

  /** Records a decision; false when this level was already decided (the first decision stands). */
  async putDecision(decision: DecisionRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: proposalPk(decision.proposalId), sk: decisionSk(decision.level), ...decision },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listDecisions(proposalId: string): Promise<DecisionRecord[]> {
    const decisions: DecisionRecord[] = [];
    for await (const item of this.query({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': proposalPk(proposalId), ':prefix': 'DECISION#' },
      ConsistentRead: true,
    })) {
      decisions.push(stripKeys<DecisionRecord>(item));
    }
    return decisions;
  }

  /** The decision recorded for one level (strongly consistent: the workflow verifies against it). */
  async getDecision(proposalId: string, level: ApprovalLevel): Promise<DecisionRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: proposalPk(proposalId), sk: decisionSk(level) },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<DecisionRecord>(Item) : undefined;
  }

  /** Every exclusion of every approval level of the proposal. */
  async exclusionsOf(proposalId: string): Promise<Exclusion[]> {
    return (await this.listDecisions(proposalId)).flatMap((decision) => decision.exclusions ?? []);
  }

  /** Attributes that put a proposal in the stipulation queue (set with the AWAITING_STIPULATION transition). */
  static stipulationQueueAttributes(proposalId: string, approvedAt: string): Record<string, string> {
    return {
      [stipulationIndex.partitionKey]: 'AWAITING',
      // Sorted by approval time: across proposals, the earlier approval wins a conflict.
      [stipulationIndex.sortKey]: `${approvedAt}#${proposalId}`,
      approvedAt,
    };
  }

  static readonly STIPULATION_QUEUE_KEYS = [stipulationIndex.partitionKey] as const;

  /** Proposals waiting for stipulation with a period up to `closingPeriod`, in approval order. */
  async listStipulationQueue(closingPeriod: string): Promise<ProposalRecord[]> {
    const proposals: ProposalRecord[] = [];
    for await (const item of this.query({
      TableName: this.tableName,
      IndexName: stipulationIndex.name,
      KeyConditionExpression: '#queue = :awaiting',
      FilterExpression: '#period <= :period',
      ExpressionAttributeNames: { '#queue': stipulationIndex.partitionKey, '#period': 'period' },
      ExpressionAttributeValues: { ':awaiting': 'AWAITING', ':period': closingPeriod },
    })) {
      proposals.push(stripKeys<ProposalRecord>(item));
    }
    return proposals;
  }

  /** Proposals of a regency, newest first. */
  async listByRegency(regency: string, limit = 50): Promise<ProposalRecord[]> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: regencyIndex.name,
        KeyConditionExpression: '#regency = :regency',
        ExpressionAttributeNames: { '#regency': regencyIndex.partitionKey },
        ExpressionAttributeValues: { ':regency': regency },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => stripKeys<ProposalRecord>(item));
  }

  /**
   * Records a stipulated period, once: a stipulated month is never rewritten. When the period is recorded
   * already the existing record is returned instead and nothing is written.
   */
  async putPeriod(record: PeriodRecord): Promise<{ recorded: true } | { recorded: false; existing: PeriodRecord }> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: periodPk(record.period), sk: META, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { recorded: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.getPeriod(record.period);
      if (!existing) throw error;
      return { recorded: false, existing };
    }
  }

  /** Stores the period's collection unless one exists; returns the one that stands (the first). */
  async fixCollection(collection: PeriodCollection): Promise<{ first: boolean; collection: PeriodCollection }> {
    const key = { pk: periodPk(collection.period), sk: COLLECTION };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...collection },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { first: true, collection };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      if (!Item) throw error;
      return { first: false, collection: stripKeys<PeriodCollection>(Item) };
    }
  }

  async getPeriod(period: string): Promise<PeriodRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: periodPk(period), sk: META }, ConsistentRead: true }),
    );
    return Item ? stripKeys<PeriodRecord>(Item) : undefined;
  }

  private async *query(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) yield item;
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
