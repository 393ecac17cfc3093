/**
 * The registrations table (TABLES.registrations): one item per self-registration (pendaftaran mandiri),
 * pk the receipt number. `gathering` = `<regency>#<period>` puts it in the gathering index the gatherer
 * queries at the cut-off; `proposalId` is set once the registration is in a gathered MANDIRI proposal, so
 * the receipt lookup can follow that proposal.
 *
 * The table is its own (not items in the proposals table) so that the public endpoint's role can write
 * registrations and read nothing of the proposals but a status: a citizen-facing function holds the least
 * of all.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ProposalStatus } from './contracts.ts';
import { TABLES } from './contracts.ts';
import { isConditionFailure, META, proposalPk, queryAll } from './proposals-table.ts';
import type { RegistrationMember } from './registrations.ts';

export interface RegistrationRecord {
  receipt: string;
  regency: string;
  period: string;
  /** `<regency>#<period>`: the gathering index's key. */
  gathering: string;
  receivedAt: string;
  members: RegistrationMember[];
  /** The MANDIRI proposal it was gathered into. */
  proposalId?: string;
  gatheredAt?: string;
  /** A later registration of the same period names one of its members: this one is not gathered. */
  superseded?: boolean;
}

export const gatheringKey = (regency: string, period: string) => `${regency}#${period}`;

export class RegistrationsRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a new registration; false when the receipt exists already (a collision: draw another). */
  async create(record: RegistrationRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(receipt)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(receipt: string): Promise<RegistrationRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { receipt }, ConsistentRead: true }),
    );
    return Item as RegistrationRecord | undefined;
  }

  /** Every registration of a regency and period, oldest first. */
  async *listForGathering(regency: string, period: string): AsyncGenerator<RegistrationRecord> {
    const index = TABLES.registrations.gatheringIndex;
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#gathering = :gathering',
      ExpressionAttributeNames: { '#gathering': index.partitionKey },
      ExpressionAttributeValues: { ':gathering': gatheringKey(regency, period) },
    })) {
      yield item as unknown as RegistrationRecord;
    }
  }

  /** Marks the registration gathered into `proposalId`; a rerun with the same id changes nothing. */
  async markGathered(receipt: string, proposalId: string, at: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { receipt },
          UpdateExpression: 'SET proposalId = :proposalId, gatheredAt = :at',
          ConditionExpression: 'attribute_exists(receipt) AND attribute_not_exists(proposalId)',
          ExpressionAttributeValues: { ':proposalId': proposalId, ':at': at },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Marks a registration left out because a later one names one of its members. */
  async markSuperseded(receipt: string, at: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { receipt },
          UpdateExpression: 'SET superseded = :yes, gatheredAt = :at',
          ConditionExpression: 'attribute_exists(receipt) AND attribute_not_exists(proposalId)',
          ExpressionAttributeValues: { ':yes': true, ':at': at },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/**
 * The status of a proposal and nothing else: the receipt lookup's one read of the proposals table. Its
 * role may GetItem only the `status` attribute (dynamodb:Attributes), so the projection is the grant.
 */
export async function proposalStatusOf(
  documents: DynamoDBDocumentClient,
  proposalsTable: string,
  proposalId: string,
): Promise<ProposalStatus | undefined> {
  const { Item } = await documents.send(
    new GetCommand({
      TableName: proposalsTable,
      Key: { pk: proposalPk(proposalId), sk: META },
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'status' },
    }),
  );
  return Item?.status as ProposalStatus | undefined;
}
