/**
 * The tracking lists of the quality control (daftar pelacakan), in the proposals table (single-table):
 * pk = TRACKING#<regency>; sk = FINDING#<kind>#<nik> (a finding on one of the regency's active persons)
 * or TASK#<id> (a moved family: the origin's task, or the destination's notice). Entries are never
 * deleted: a resolved one stays with the period that resolved it, and a finding seen again opens anew.
 *
 * Who writes what (so that the screenings of the Map over regencies never write the same attribute):
 * a regency's screening writes its own findings and origin tasks, creates the paired notice in the
 * destination's partition, and resolves the notices it holds as destination; the approvals API writes
 * only a task's `answer`, with UpdateItem, never a whole item.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FindingKind, MovedFamily, TaskAnswerKind, TaskRole, TrackedEntry } from '#core/quality-control.ts';
import { isConditionFailure, queryAll, stripKeys } from './proposals-table.ts';

export const trackingPk = (regency: string) => `TRACKING#${regency}`;
const FINDING_PREFIX = 'FINDING#';
const TASK_PREFIX = 'TASK#';

/** A finding on one active master person of the regency. `key` is core's trackingKey (kind#nik). */
export interface FindingEntry extends TrackedEntry {
  regency: string;
  kind: FindingKind;
  nik: string;
  noKk: string;
  nama: string;
  /** PINDAH_DOMISILI: where the registry has them now, and the moved family's task. */
  destinationRegency?: string;
  taskId?: string;
}

/** Who answered a task, when, what and why. */
export interface TaskAnswer {
  answer: TaskAnswerKind;
  note: string;
  answeredBy: string;
  answeredAt: string;
}

/** A moved family's task (role ORIGIN, in the origin's partition) or notice (DESTINATION, in the destination's). */
export interface TaskEntry extends TrackedEntry, Omit<MovedFamily, 'originRegency' | 'destinationRegency'> {
  id: string;
  role: TaskRole;
  /** The partition's regency: the origin for a task, the destination for a notice. */
  regency: string;
  originRegency: string;
  destinationRegency: string;
  /** The other side's id: the notice of a task, the task of a notice. */
  pairedId: string;
  answer?: TaskAnswer;
}

/** What a screening loads of its regency: the entries still open, and those this period resolved (a rerun). */
export interface RegencyTracking {
  findings: Map<string, FindingEntry>;
  /** Origin tasks by core's movedFamilyKey. */
  tasks: Map<string, TaskEntry>;
  /** Notices the regency holds as destination, by id. */
  notices: Map<string, TaskEntry>;
}

/** `PLK-<regency>-<12 base32>`: the regency names the partition; the pair shares the random part. */
export function newTaskIds(originRegency: string, destinationRegency: string): { task: string; notice: string } {
  const core = base32(randomBytes(8)).slice(0, 12);
  return { task: `PLK-${originRegency}-${core}`, notice: `PLK-${destinationRegency}-${core}` };
}

const TASK_ID = /^PLK-(\d{4})-[A-Z2-7]{12}$/;

/** The regency whose partition holds the task of this id; undefined for anything that is not a task id. */
export function regencyOfTaskId(id: string): string | undefined {
  return TASK_ID.exec(id)?.[1];
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export class TrackingRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The regency's open entries and those `period` resolved (resolved ones of earlier periods are history). */
  async loadForScreening(regency: string, period: string): Promise<RegencyTracking> {
    const tracking: RegencyTracking = { findings: new Map(), tasks: new Map(), notices: new Map() };
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#status = :open OR resolvedPeriod = :period',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': trackingPk(regency), ':open': 'OPEN', ':period': period },
    })) {
      const sk = String(item.sk);
      if (sk.startsWith(FINDING_PREFIX)) {
        const entry = stripKeys<FindingEntry>(item);
        tracking.findings.set(entry.key, entry);
      } else if (sk.startsWith(TASK_PREFIX)) {
        const entry = stripKeys<TaskEntry>(item);
        if (entry.role === 'ORIGIN') tracking.tasks.set(entry.key, entry);
        else tracking.notices.set(entry.id, entry);
      }
    }
    return tracking;
  }

  /** A new finding (or one resolved before, found again): the whole item. */
  async putFinding(entry: FindingEntry): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: trackingPk(entry.regency), sk: `${FINDING_PREFIX}${entry.key}`, ...entry },
      }),
    );
  }

  /** A finding's detail or resolution. */
  async updateFinding(entry: FindingEntry): Promise<void> {
    await this.update(trackingPk(entry.regency), `${FINDING_PREFIX}${entry.key}`, entry);
  }

  /** Creates a task or notice once (a rerun finds it there and changes nothing). */
  async createTask(entry: TaskEntry): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: trackingPk(entry.regency), sk: `${TASK_PREFIX}${entry.id}`, ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** A task's members, detail or resolution; never its answer (the approvals API's). */
  async updateTask(entry: TaskEntry): Promise<void> {
    await this.update(trackingPk(entry.regency), `${TASK_PREFIX}${entry.id}`, entry, entry.members);
  }

  /** Every entry of a regency's list, open ones first by default; resolved ones only when asked. */
  async list(regency: string, options: { includeResolved?: boolean } = {}): Promise<(FindingEntry | TaskEntry)[]> {
    const entries: (FindingEntry | TaskEntry)[] = [];
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ...(options.includeResolved
        ? { ExpressionAttributeValues: { ':pk': trackingPk(regency) } }
        : {
            FilterExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pk': trackingPk(regency), ':open': 'OPEN' },
          }),
    })) {
      entries.push(stripKeys<FindingEntry | TaskEntry>(item));
    }
    return entries;
  }

  async getTask(id: string): Promise<TaskEntry | undefined> {
    const regency = regencyOfTaskId(id);
    if (!regency) return undefined;
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: trackingPk(regency), sk: `${TASK_PREFIX}${id}` },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<TaskEntry>(Item) : undefined;
  }

  /** Records the answer of an open task; false when it is resolved (or gone) meanwhile. */
  async answerTask(id: string, answer: TaskAnswer): Promise<boolean> {
    const regency = regencyOfTaskId(id);
    if (!regency) return false;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: trackingPk(regency), sk: `${TASK_PREFIX}${id}` },
          UpdateExpression: 'SET answer = :answer',
          ConditionExpression: 'attribute_exists(pk) AND #status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':answer': answer, ':open': 'OPEN' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** SET the tracked fields (status, detail, resolvedPeriod, and a task's members). */
  private async update(pk: string, sk: string, entry: TrackedEntry, members?: TaskEntry['members']): Promise<void> {
    const values: Record<string, unknown> = { ':status': entry.status, ':detail': entry.detail };
    let expression = 'SET #status = :status, detail = :detail';
    if (entry.resolvedPeriod) {
      values[':resolved'] = entry.resolvedPeriod;
      expression += ', resolvedPeriod = :resolved';
    }
    if (members) {
      values[':members'] = members;
      expression += ', members = :members';
    }
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk, sk },
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
  }
}
