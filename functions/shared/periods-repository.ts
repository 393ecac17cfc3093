/**
 * The stipulation periods (PERIOD#<YYYY-MM>): the period's record, written once (a stipulated month is
 * never rewritten), and the collection its first run fixed. Neither item holds its list of proposals, which
 * grows with the period (6,000 of them filled DynamoDB's 400 KB item): each names its list in S3
 * (proposal-list.ts, StoredProposalList), written before the item; an item written before keeps its list inline.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { QualityControlCounts } from '#core/quality-control.ts';
import type { ExportFile, GuardSignOff, GuardVerdictSummary } from './contracts.ts';
import { ConfigurationError } from './errors.ts';
import { type ListedProposals, listedProposals, type ProposalRef, storeProposalList } from './proposal-list.ts';
import { COLLECTION, isConditionFailure, META, periodPk, stripKeys } from './proposals-table.ts';

/** The quality control's item of a period (sk QUALITY_CONTROL): replaced by each run until the period is recorded. */
const QUALITY_CONTROL = 'QUALITY_CONTROL';

/** A period's record as stored: its proposals by their list in S3 (ListedProposals; periods.listedProposals reads them). */
export interface PeriodRecord extends ListedProposals {
  period: string;
  recordedAt: string;
  carriedForward: boolean;
  counts: Record<string, number>;
  manifestKey?: string;
  /**
   * SHA-256 of the manifest's bytes as FinaliseExport wrote them: kept here, in another store than the
   * manifest, so that a manifest changed after the stipulation no longer matches (dtks snapshot verify).
   */
  manifestSha256?: string;
  /** The stipulation execution that recorded it (a retry of the same step is told apart from a rerun). */
  executionId?: string;
  /**
   * The stipulation guard, when it asked the ministry: the verdict of the run that recorded the period, who
   * signed it off, when and why, and the answers to earlier runs (a hold); absent when no sign-off was needed.
   */
  guard?: PeriodGuard;
  /**
   * The quality control before the stipulation: the findings still open (not a deactivation: the regencies
   * decide), by kind, nationally; absent for a period recorded before the quality control existed.
   */
  qualityControl?: QualityControlSummary;
}

/** A period's record to write, with its proposals, which putPeriod keeps in S3. */
export type NewPeriodRecord = Omit<PeriodRecord, keyof ListedProposals> & { proposals: readonly ProposalRef[] };

/** What a period's quality control found, nationally (per regency: the tracking lists and KEYS.qualityControlCounts). */
export interface QualityControlSummary {
  period: string;
  /**
   * False when the period's stipulation found no quality control run of the period (IncludeQualityControl
   * noted it, at notedAt): the period was stipulated unscreened, and its counts are zero for want of a
   * screening, not for want of findings. Absent on a summary of the quality control workflow (screened).
   */
  screened?: false;
  notedAt?: string;
  /** When the quality control workflow summarised the period (absent when it was not screened). */
  screenedAt?: string;
  regencies: number;
  counts: QualityControlCounts;
  /**
   * The files the quality control released for the period (the tracking lists, the full tier per person,
   * the pseudonymised counts) with their SHA-256, as a manifest lists files: for the period's manifest.
   */
  files?: ExportFile[];
}

/** The guard on the period record: the verdict the ministry answered, and its answers. */
export type PeriodGuard = Omit<GuardVerdictSummary, 'period' | 'executionId'> & {
  signOff?: GuardSignOff;
  earlier?: GuardSignOff[];
};

/**
 * The proposals a period's stipulation took from the queue, fixed by its first run (PERIOD#<period>,
 * sk COLLECTION). A rerun after a failed run stipulates the same proposals, those the failed run already
 * released (and took out of the queue) included; proposals queued since then wait for the next period.
 */
export interface PeriodCollection {
  period: string;
  collectedAt: string;
  proposals: ProposalRef[];
}

/** Where the period's lists of proposals are kept (the proposals bucket): needed to write an item, or read its list. */
export interface ProposalLists {
  s3: S3Client;
  bucket: string;
}

export class PeriodsRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly lists?: ProposalLists,
  ) {}

  /**
   * Records a stipulated period, once: a stipulated month is never rewritten. When the period is recorded
   * already the existing record is returned instead and nothing is written (but perhaps the list, once more).
   */
  async putPeriod(record: NewPeriodRecord): Promise<{ recorded: true } | { recorded: false; existing: PeriodRecord }> {
    const { s3, bucket } = this.requireLists();
    const { proposals, ...facts } = record;
    const proposalList = await storeProposalList(s3, bucket, record.period, proposals);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: periodPk(record.period), sk: META, ...facts, proposalList },
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

  /**
   * Stores the period's collection unless one exists; returns the one that stands (the first), its list read
   * back from S3 (or inline, as an earlier version stored it). A rerun writes no list: the standing one is
   * read first, so the period's folder holds the lists its items name (and at most one a crash left behind).
   */
  async fixCollection(collection: PeriodCollection): Promise<{ first: boolean; collection: PeriodCollection }> {
    const { s3, bucket } = this.requireLists();
    const key = { pk: periodPk(collection.period), sk: COLLECTION };
    const standing = await this.standingCollection(key);
    if (standing) return { first: false, collection: standing };
    const { proposals, ...facts } = collection;
    const proposalList = await storeProposalList(s3, bucket, collection.period, proposals);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...facts, proposalList },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { first: true, collection };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another run fixed it in between: its collection stands.
      const first = await this.standingCollection(key);
      if (!first) throw error;
      return { first: false, collection: first };
    }
  }

  private async standingCollection(key: { pk: string; sk: string }): Promise<PeriodCollection | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { proposalList: _list, proposals: _inline, ...facts } = stripKeys<PeriodCollection & ListedProposals>(Item);
    return { ...facts, proposals: await this.listedProposals(stripKeys<ListedProposals>(Item)) };
  }

  /** The proposals a period's record (or collection) names: its list in S3, checked; inline on an older item. */
  async listedProposals(item: ListedProposals): Promise<ProposalRef[]> {
    if (!item.proposalList) return item.proposals ?? [];
    const { s3, bucket } = this.requireLists();
    return listedProposals(s3, bucket, item);
  }

  /** Stores the period's quality control summary (each run replaces it; RecordPeriod copies it onto the record). */
  async putQualityControl(summary: QualityControlSummary): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: periodPk(summary.period), sk: QUALITY_CONTROL, ...summary },
      }),
    );
  }

  async getQualityControl(period: string): Promise<QualityControlSummary | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: periodPk(period), sk: QUALITY_CONTROL },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<QualityControlSummary>(Item) : undefined;
  }

  async getPeriod(period: string): Promise<PeriodRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: periodPk(period), sk: META }, ConsistentRead: true }),
    );
    return Item ? stripKeys<PeriodRecord>(Item) : undefined;
  }

  private requireLists(): ProposalLists {
    if (!this.lists) throw new ConfigurationError(['PeriodsRepository: bucket daftar usulan periode tidak diberikan']);
    return this.lists;
  }
}
