/** The approvers' decisions (PROPOSAL#<id> / DECISION#REGENCY|PROVINCE): who, when, why, exclusions; the first decision of a level stands. */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApprovalDecision, ApprovalLevel, Exclusion } from './contracts.ts';
import { DECISION_PREFIX, decisionSk, isConditionFailure, proposalPk, queryAll, stripKeys } from './proposals-table.ts';

export interface DecisionRecord extends ApprovalDecision {
  proposalId: string;
}

export class DecisionsRepository {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a decision; false when this level was already decided (the first decision stands). */
  async putDecision(decision: DecisionRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: proposalPk(decision.proposalId), sk: decisionSk(decision.level), ...decision },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listDecisions(proposalId: string): Promise<DecisionRecord[]> {
    const decisions: DecisionRecord[] = [];
    for await (const item of queryAll(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': proposalPk(proposalId), ':prefix': DECISION_PREFIX },
      ConsistentRead: true,
    })) {
      decisions.push(stripKeys<DecisionRecord>(item));
    }
    return decisions;
  }

  /** The decision recorded for one level (strongly consistent: the workflow verifies against it). */
  async getDecision(proposalId: string, level: ApprovalLevel): Promise<DecisionRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: proposalPk(proposalId), sk: decisionSk(level) },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<DecisionRecord>(Item) : undefined;
  }

  /** Every exclusion of every approval level of the proposal. */
  async exclusionsOf(proposalId: string): Promise<Exclusion[]> {
    return (await this.listDecisions(proposalId)).flatMap((decision) => decision.exclusions ?? []);
  }
}
