/**
 * NIK claims of pending proposals (TABLES.claims): Pasal 8 ayat 3 huruf d, one person, one family —
 * and so one pending family per person across proposals. A claim is taken with a conditional write
 * (`attribute_not_exists(nik) OR proposalId = :me`), which makes the race between two proposals atomic
 * without transactions; a retried step re-takes its own claims harmlessly. Claims are released when the
 * proposal ends (RETURNED, REJECTED, EXPIRED, FAILED) and after it is stipulated, when the master
 * itself holds the person's family.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimRegistry, NikClaim } from '#core/ports.ts';
import { batchGet } from './batch-writer.ts';
import { forEachConcurrently } from './concurrency.ts';
import { TransientError } from './errors.ts';

const CONCURRENCY = 16;

interface ClaimItem extends NikClaim {
  claimedAt: string;
}

export class DynamoClaimRegistry implements ClaimRegistry {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findClaims(niks: readonly string[], ownProposalId: string): Promise<Map<string, NikClaim>> {
    const unique = [...new Set(niks)];
    const items = await batchGet<ClaimItem>(
      this.documents,
      this.tableName,
      unique.map((nik) => ({ nik })),
    );
    const claims = new Map<string, NikClaim>();
    for (const { nik, noKk, proposalId } of items) {
      if (proposalId !== ownProposalId) claims.set(nik, { nik, noKk, proposalId });
    }
    return claims;
  }

  /**
   * Takes claims for one proposal. Returns the claims that another proposal holds (the race was lost),
   * by NIK; every other claim is now held by `proposalId`.
   */
  async take(proposalId: string, claims: readonly { nik: string; noKk: string }[]): Promise<Map<string, NikClaim>> {
    const lost = new Map<string, NikClaim>();
    const claimedAt = new Date().toISOString();
    await forEachConcurrently(claims, CONCURRENCY, async ({ nik, noKk }) => {
      // A claim released between our write and our read is free again: try it a few times.
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await this.put({ nik, noKk, proposalId, claimedAt })) return;
        const holder = (await this.findClaims([nik], proposalId)).get(nik);
        if (holder) return void lost.set(nik, holder);
      }
      throw new TransientError(`Klaim NIK ${nik} berubah terus-menerus; langkah ini akan diulang`);
    });
    return lost;
  }

  private async put(item: ClaimItem): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(nik) OR proposalId = :me',
          ExpressionAttributeValues: { ':me': item.proposalId },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Releases this proposal's claims on these NIKs; claims held by other proposals are left alone. */
  async release(proposalId: string, niks: readonly string[]): Promise<number> {
    let released = 0;
    await forEachConcurrently([...new Set(niks)], CONCURRENCY, async (nik) => {
      try {
        await this.documents.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { nik },
            ConditionExpression: 'proposalId = :me',
            ExpressionAttributeValues: { ':me': proposalId },
          }),
        );
        released++;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    });
    return released;
  }
}
