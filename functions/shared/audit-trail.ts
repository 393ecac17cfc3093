/** The audit trail of a proposal (PROPOSAL#<id> / EVENT#<iso>#…): status changes, tasks, decisions, refused attempts. */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_PREFIX, proposalPk, queryAll, stripKeys } from './proposals-table.ts';

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

export class AuditTrail {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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
          sk: `${EVENT_PREFIX}${rest.at}#${eventKey ?? `${rest.kind}#${randomUUID()}`}`,
          proposalId,
          ...rest,
        },
      }),
    );
  }

  /** The audit trail, oldest first. */
  async listEvents(proposalId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': proposalPk(proposalId), ':prefix': EVENT_PREFIX },
    })) {
      events.push(stripKeys<AuditEvent>(item));
    }
    return events;
  }
}
