/**
 * NIK claims of pending proposals (TABLES.claims): Pasal 8 ayat 3 huruf d, one person, one family —
 * and so one pending family per person across proposals. A claim is taken with a conditional write
 * (`attribute_not_exists(nik) OR proposalId = :me`), which makes the race between two proposals atomic;
 * a retried step re-takes its own claims harmlessly. The conditional writes go 100 per TransactWriteItems
 * (batch-writer.ts conditionalWrites), each claim still decided on its own: a claim another proposal
 * holds is set aside with its holder, the others are taken. Claims are released when the proposal ends
 * (RETURNED, REJECTED, EXPIRED, FAILED) and after it is stipulated, when the master itself holds the
 * person's family.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimRegistry, NikClaim } from '#core/ports.ts';
import { batchGet, conditionalWrites } from './batch-writer.ts';

/** Transactions of 100 claims in flight at once. */
const CONCURRENCY = 4;

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
    const claimedAt = new Date().toISOString();
    // One action per item in a transaction: a NIK named twice is claimed once (the later row's family).
    const items = [...new Map(claims.map(({ nik, noKk }) => [nik, { nik, noKk, proposalId, claimedAt }])).values()];
    const held = await conditionalWrites(
      this.documents,
      items.map((item) => ({
        Put: {
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(nik) OR proposalId = :me',
          ExpressionAttributeValues: { ':me': proposalId },
        },
      })),
      { concurrency: CONCURRENCY },
    );
    const lost = new Map<string, NikClaim>();
    for (const [index, holder] of held) {
      const { nik } = items[index] as ClaimItem;
      // The condition failed, so the item exists and names another proposal.
      lost.set(nik, { nik, noKk: stringOf(holder?.noKk), proposalId: stringOf(holder?.proposalId) });
    }
    return lost;
  }

  /** Releases this proposal's claims on these NIKs; claims held by other proposals are left alone. */
  async release(proposalId: string, niks: readonly string[]): Promise<number> {
    const unique = [...new Set(niks)];
    const notOurs = await conditionalWrites(
      this.documents,
      unique.map((nik) => ({
        Delete: {
          TableName: this.tableName,
          Key: { nik },
          ConditionExpression: 'proposalId = :me',
          ExpressionAttributeValues: { ':me': proposalId },
        },
      })),
      { concurrency: CONCURRENCY },
    );
    return unique.length - notOurs.size;
  }
}

function stringOf(value: AttributeValue | undefined): string {
  return value?.S ?? '';
}
