/**
 * The master write lease (LEASE#MASTER, META in the proposals table): the one stipulation execution that
 * may write the DTKS master. Apply writes with BatchWriteItem, which takes no condition, so two executions
 * applying at once (two periods, or an operator's rerun beside the schedule's run) could interleave on a
 * person; the lease makes them take turns. TakeMasterWriteLease takes it before ApplyShards and
 * ReleaseMasterWriteLease gives it back after FinaliseExport; each apply slice renews it first, and stops
 * with MasterWriteLeaseHeldError when another execution holds it.
 *
 * A lease that nobody renewed for LEASE_SECONDS (a run that died without releasing it) may be taken by
 * the next execution: a slice is at most 15 minutes, so a live holder renews well within that. The exports
 * after ApplyShards read the master, so the lease is held until FinaliseExport has written the manifest
 * (another period's apply meanwhile would leak into this period's snapshot); each export unit renews it
 * before it starts, and a unit is at most Lambda's 15 minutes, so it never runs out under a unit.
 *
 * A failed run does not delete its lease: a Distributed Map that fails stops its children, not the
 * Lambda invocations they started, so a slice may go on writing (BatchWriteItem, no condition) until its
 * timeout. `coolDown` shortens the lease to end APPLY_TIMEOUT_SECONDS from now (and marks it released, so
 * no renewal extends it), by when every slice of the run has ended; until then another execution, this
 * period's rerun included, gets MasterWriteLeaseHeldError naming when it can start again.
 *
 * The item holds the execution's id, its period and the times; nothing secret. The error names only the
 * holder's period, never its execution id.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { APPLY_TIMEOUT_SECONDS } from './contracts.ts';
import { MasterWriteLeaseHeldError } from './errors.ts';
import { isConditionFailure, META } from './proposals-table.ts';

export const MASTER_LEASE_PK = 'LEASE#MASTER';
/** Twice Lambda's 15-minute limit: a holder renews at every slice, so only a dead run's lease runs out. */
export const LEASE_SECONDS = 30 * 60;

export interface MasterWriteLease {
  executionId: string;
  period: string;
  takenAt: string;
  expiresAt: string;
  /** Set by coolDown: the run failed; the lease only waits out its slices still running. */
  releasedAt?: string;
}

const KEY = { pk: MASTER_LEASE_PK, sk: META };

export class MasterLeaseRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Takes the lease for `executionId`: free, already this execution's (a retried step, a redrive), or run
   * out. Otherwise MasterWriteLeaseHeldError naming the holder's period, and nothing is written.
   */
  async take(executionId: string, period: string): Promise<MasterWriteLease> {
    const now = this.now();
    const lease: MasterWriteLease = {
      executionId,
      period,
      takenAt: now.toISOString(),
      expiresAt: this.expiry(now),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...KEY, ...lease },
          ConditionExpression: 'attribute_not_exists(pk) OR executionId = :me OR expiresAt < :now',
          ExpressionAttributeValues: { ':me': executionId, ':now': now.toISOString() },
        }),
      );
      return lease;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw await this.heldError(period);
    }
  }

  /**
   * Before a slice writes, and before an export unit reads: the lease is still this execution's and not
   * cooling down after a failure (a consistent check, the condition of the write), renewed for another
   * LEASE_SECONDS. Another execution's, or none (released, or taken over after it ran out), or cooling
   * down: MasterWriteLeaseHeldError, and the step writes nothing.
   */
  async renew(executionId: string, period: string): Promise<void> {
    const now = this.now();
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: KEY,
          UpdateExpression: 'SET expiresAt = :later',
          ConditionExpression: 'executionId = :me AND attribute_not_exists(releasedAt)',
          ExpressionAttributeValues: { ':me': executionId, ':later': this.expiry(now) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw await this.heldError(period);
    }
  }

  /** Gives the lease back when it is this execution's; true when it was (a second release is a no-op). */
  async release(executionId: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: KEY,
          ConditionExpression: 'executionId = :me',
          ExpressionAttributeValues: { ':me': executionId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * After a failed run: the lease is kept until APPLY_TIMEOUT_SECONDS from now, when any slice still
   * running has ended, then anyone may take it; renewals stop. The lease as it now stands, or undefined
   * when it was not this execution's (a second call finds it cooling down and sets it again: harmless).
   */
  async coolDown(executionId: string): Promise<MasterWriteLease | undefined> {
    const now = this.now();
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: KEY,
          UpdateExpression: 'SET expiresAt = :until, releasedAt = :now',
          ConditionExpression: 'executionId = :me',
          ExpressionAttributeValues: {
            ':me': executionId,
            ':now': now.toISOString(),
            ':until': new Date(now.getTime() + APPLY_TIMEOUT_SECONDS * 1000).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return leaseOf(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async get(): Promise<MasterWriteLease | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }),
    );
    return leaseOf(Item);
  }

  private expiry(now: Date): string {
    return new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString();
  }

  private async heldError(period: string): Promise<MasterWriteLeaseHeldError> {
    const holder = await this.get();
    return new MasterWriteLeaseHeldError(period, holder?.period, holder?.expiresAt, holder?.releasedAt !== undefined);
  }
}

function leaseOf(item: Record<string, unknown> | undefined): MasterWriteLease | undefined {
  if (!item) return undefined;
  const { executionId, period, takenAt, expiresAt, releasedAt } = item as unknown as MasterWriteLease;
  return { executionId, period, takenAt, expiresAt, ...(releasedAt === undefined ? {} : { releasedAt }) };
}
