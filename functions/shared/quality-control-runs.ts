/**
 * One quality control run of a period at a time, and the newest one the one that counts
 * (PERIOD#<period>, sk QUALITY_CONTROL_RUN). Every registry load starts a run (a national extract comes in
 * several files, each its own load), and two runs screening the same period at once would write the same
 * tracking entries and lists in any interleaving, the summary of whichever ended last standing.
 *
 * - `claim` first names the run the period's latest (by its start, then its execution id): a run older
 *   than the latest is SUPERSEDED and ends without screening — the newer one screens the registry as it
 *   then stands, which includes what the older one would have seen.
 * - The latest then takes the period's run lease (held by its execution until `release`, or for
 *   LEASE_MS should it die without releasing): while another run holds it the answer is BUSY, and the
 *   workflow retries later (QualityControlRunningError), so runs of a period never overlap.
 *
 * Conditional UpdateItems only: a retry of the same step by the same execution finds itself latest and
 * holder, and goes on.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { COLLECTION, isConditionFailure, META, periodPk } from './proposals-table.ts';

const QUALITY_CONTROL_RUN = 'QUALITY_CONTROL_RUN';
/** A holder that never released (its execution died): longer than a national run (~3.5 h). */
export const LEASE_MS = 6 * 60 * 60 * 1000;

export interface QualityControlRun {
  period: string;
  executionId: string;
  /** The execution's StartTime (ISO 8601): the later start is the newer run. */
  startedAt: string;
}

export type Claim = 'HELD' | 'BUSY' | 'SUPERSEDED';

interface RunItem {
  latestStartedAt?: string;
  latestExecution?: string;
  holder?: string;
  holderExpiresAt?: string;
}

export class QualityControlRuns {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(run: QualityControlRun, now = new Date()): Promise<Claim> {
    const key = { pk: periodPk(run.period), sk: QUALITY_CONTROL_RUN };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET latestStartedAt = :started, latestExecution = :execution',
          // Newer by start, the execution id breaking a tie (two starts in the same millisecond).
          ConditionExpression:
            'attribute_not_exists(latestStartedAt) OR latestStartedAt < :started OR ' +
            '(latestStartedAt = :started AND latestExecution <= :execution)',
          ExpressionAttributeValues: { ':started': run.startedAt, ':execution': run.executionId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A retry of a run that held the lease when a newer one was started: it ends, and lets the newer one in.
      await this.release(run);
      return 'SUPERSEDED';
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET holder = :execution, holderExpiresAt = :expires',
          ConditionExpression:
            'latestExecution = :execution AND ' +
            '(attribute_not_exists(holder) OR holder = :execution OR holderExpiresAt < :now)',
          ExpressionAttributeValues: {
            ':execution': run.executionId,
            ':expires': new Date(now.getTime() + LEASE_MS).toISOString(),
            ':now': now.toISOString(),
          },
        }),
      );
      return 'HELD';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.get(run.period);
      return item?.latestExecution === run.executionId ? 'BUSY' : 'SUPERSEDED';
    }
  }

  /** Gives the lease back (the run completed or failed); nothing when this execution does not hold it. */
  async release(run: Pick<QualityControlRun, 'period' | 'executionId'>): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: periodPk(run.period), sk: QUALITY_CONTROL_RUN },
          UpdateExpression: 'REMOVE holder, holderExpiresAt',
          ConditionExpression: 'holder = :execution',
          ExpressionAttributeValues: { ':execution': run.executionId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Whether the period's stipulation has started (its collection is fixed) or recorded it: from then on its
   * quality control files are the manifest's, and a run still going writes none of them any more.
   */
  async stipulationStarted(period: string): Promise<boolean> {
    for (const sk of [META, COLLECTION]) {
      const { Item } = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: periodPk(period), sk },
          ProjectionExpression: 'pk',
          ConsistentRead: true,
        }),
      );
      if (Item) return true;
    }
    return false;
  }

  private async get(period: string): Promise<RunItem | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: periodPk(period), sk: QUALITY_CONTROL_RUN },
        ConsistentRead: true,
      }),
    );
    return Item as RunItem | undefined;
  }
}
