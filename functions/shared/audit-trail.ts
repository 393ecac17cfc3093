/**
 * The audit trail of a proposal (PROPOSAL#<id> / EVENT#<iso>#…): status changes, tasks, decisions, refused
 * attempts, downloads of its report. A period has one too (PERIOD#<period> / EVENT#…): the downloads of
 * its export files and who started its stipulation. An event names who, what and when, never a NIK.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_PREFIX, periodPk, proposalPk, queryAll, stripKeys } from './proposals-table.ts';

export type AuditKind = 'STATUS' | 'TASK_OPENED' | 'TASK_CLOSED' | 'DECISION' | 'REFUSED' | 'NOTE' | 'DOWNLOAD';

export interface AuditEvent {
  proposalId: string;
  at: string;
  kind: AuditKind;
  actor: string;
  from?: string;
  to?: string;
  detail?: string;
}

export class AuditTrail {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Appends an audit event and answers its key. `eventKey` makes the key deterministic (a retried step
   * rewrites the same event); without it every call is a new event.
   */
  async addEvent(proposalId: string, event: Omit<AuditEvent, 'proposalId'> & { eventKey?: string }): Promise<string> {
    const { eventKey, ...rest } = event;
    const sk = `${EVENT_PREFIX}${rest.at}#${eventKey ?? `${rest.kind}#${randomUUID()}`}`;
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: proposalPk(proposalId), sk, proposalId, ...rest } }),
    );
    return sk;
  }

  /** One event of the proposal's trail by the key addEvent answered; undefined when there is none. */
  async getEvent(proposalId: string, eventSk: string): Promise<AuditEvent | undefined> {
    if (!eventSk.startsWith(EVENT_PREFIX)) return undefined;
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: proposalPk(proposalId), sk: eventSk } }),
    );
    return Item ? stripKeys<AuditEvent>(Item) : undefined;
  }

  /** An event of a period's trail (a download of its files, a stipulation started from the console). */
  async addPeriodEvent(period: string, event: Omit<AuditEvent, 'proposalId'>): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: periodPk(period),
          sk: `${EVENT_PREFIX}${event.at}#${event.kind}#${randomUUID()}`,
          period,
          ...event,
        },
      }),
    );
  }

  /** The audit trail, oldest first. */
  listEvents(proposalId: string): Promise<AuditEvent[]> {
    return this.eventsOf(proposalPk(proposalId));
  }

  /** A period's trail, oldest first. */
  listPeriodEvents(period: string): Promise<AuditEvent[]> {
    return this.eventsOf(periodPk(period));
  }

  private async eventsOf(pk: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': EVENT_PREFIX },
    })) {
      events.push(stripKeys<AuditEvent>(item));
    }
    return events;
  }
}
