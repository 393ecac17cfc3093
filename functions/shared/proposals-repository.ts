/**
 * The proposals themselves (PROPOSAL#<id> / META of the proposals table, proposals-table.ts): the record,
 * its status moves (core/lifecycle.ts) with their audit events, and the stipulation queue.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ProposalStatus, StatusConflictError, sourcesOf, TAKE_OVER_FROM } from '#core/lifecycle.ts';
import type { FileWarning } from '#core/report.ts';
import type { ProposalSource } from '#core/source.ts';
import { AuditTrail } from './audit-trail.ts';
import type { StipulationRelease } from './contracts.ts';
import { TABLES } from './contracts.ts';
import { invalidCursor } from './cursor.ts';
import { ProposalNotFoundError } from './errors.ts';
import { isConditionFailure, META, proposalPk, queryAll, stripKeys } from './proposals-table.ts';

const { stipulationIndex, regencyIndex, periodIndex } = TABLES.proposals;

/** A page of proposals of one regency or one period (the console's lists), newest first. */
export interface ProposalPageQuery {
  /** The index read: a regency's proposals, or a period's. */
  by: { regency: string } | { period: string };
  /** Narrowing filters, applied to what the index reads (a page may hold fewer than `limit`). */
  period?: string;
  status?: ProposalStatus;
  province?: string;
  limit: number;
  /** The `last` of the page before. */
  after?: Record<string, unknown>;
}

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
  /**
   * Where the proposal came from, read from its upload prefix by Ingest (core/source.ts). Absent on a
   * record from before sources were kept and on a key under no upload prefix: sourceOf() reads MUSDES.
   */
  source?: ProposalSource;
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
  /**
   * Why one of our own steps refused to go on (VerifyDecision, RecordOutcome's expiry check), written by
   * that step before it fails. RecordFailed gives the region this reason, never the Catch's Cause: a
   * SendTaskFailure can put any error name and cause there.
   */
  refusal?: { error: string; reason: string; at: string };
  error?: { Error?: string; Cause?: string };
  approvedAt?: string;
  stipulation?: StipulationCounts;
  release?: StipulationRelease;
}

export interface TransitionOptions {
  /** Attributes set in the same write. */
  set?: Record<string, unknown>;
  /** Attributes removed in the same write (e.g. the stipulation queue keys). */
  remove?: readonly string[];
  actor?: string;
  detail?: string;
}

export class ProposalsRepository {
  private readonly audit: AuditTrail;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.audit = new AuditTrail(documents, tableName);
  }

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
    await this.audit.addEvent(record.proposalId, {
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
    await this.audit.addEvent(proposalId, {
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
    await this.audit.addEvent(proposalId, {
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
    for await (const item of queryAll(this.documents, {
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
   * One page of a regency's or a period's proposals, newest first, narrowed by period, status and province.
   * Reads until the page is full or the index ends; `last` is the key to continue after (undefined at the end).
   */
  async listPage(query: ProposalPageQuery): Promise<{ proposals: ProposalRecord[]; last?: Record<string, unknown> }> {
    const index = 'regency' in query.by ? regencyIndex : periodIndex;
    const value = 'regency' in query.by ? query.by.regency : query.by.period;
    // The client hands `after` back from an opaque cursor: only a key of this very query resumes it (DynamoDB
    // would refuse any other with a ValidationException, which is the client's fault, not the system's).
    if (query.after !== undefined && !isPageKey(query.after, index.partitionKey, value)) throw invalidCursor();
    const names: Record<string, string> = { '#key': index.partitionKey };
    const values: Record<string, unknown> = { ':key': value };
    const filters: string[] = [];
    for (const [name, filter] of Object.entries({
      period: query.period,
      status: query.status,
      province: query.province,
    })) {
      if (filter === undefined || name === index.partitionKey) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = filter;
      filters.push(`#${name} = :${name}`);
    }
    const found: Record<string, unknown>[] = [];
    let start = query.after;
    do {
      const { Items, LastEvaluatedKey } = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#key = :key',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - found.length,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(Items ?? []));
      start = LastEvaluatedKey;
    } while (start && found.length < query.limit);
    const lastItem = found.at(-1);
    // A full page continues after its last item: the index's key and the table's, as DynamoDB resumes a query.
    const last =
      start && lastItem
        ? {
            pk: lastItem.pk,
            sk: lastItem.sk,
            [index.partitionKey]: lastItem[index.partitionKey],
            receivedAt: lastItem.receivedAt,
          }
        : undefined;
    return { proposals: found.map((item) => stripKeys<ProposalRecord>(item)), ...(last ? { last } : {}) };
  }
}

/** A page's `last` as listPage hands it out for the index `partitionKey` = `value`: those four strings, nothing else. */
function isPageKey(key: Record<string, unknown>, partitionKey: string, value: string): boolean {
  const names = ['pk', 'sk', partitionKey, 'receivedAt'];
  return (
    Object.keys(key).length === names.length &&
    names.every((name) => typeof key[name] === 'string') &&
    key[partitionKey] === value
  );
}
