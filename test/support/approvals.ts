/**
 * The approvals API as its tests drive it: its handler and RequestApproval's (imported once
 * startTestAws has set the environment), a proposal waiting at the regency approval, and a call to a
 * route as a principal.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ProposalRow } from '#core/proposal.ts';
import { KEYS, type Principal } from '#shared/contracts.ts';
import { type CheckSummaryRecord, type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import type { TestAws } from './aws.ts';
import { apiEvent, lambdaContext } from './lambda.ts';
import { proposalRecord } from './proposals.ts';

export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** The approvals API and RequestApproval handlers; call after startTestAws, which sets their environment. */
export async function approvalHandlers(): Promise<{ api: Handler; requestApproval: Handler }> {
  const { handler: api } = (await import('../../functions/approvals-api/handler.ts')) as { handler: Handler };
  const { handler: requestApproval } = (await import('../../functions/request-approval/handler.ts')) as {
    handler: Handler;
  };
  return { api, requestApproval };
}

/**
 * A proposal that has been checked and is at the regency approval (proposalRecord's, with `summary`),
 * its task token stored by RequestApproval; `accepted` rows, when given, staged first as CheckIntegrity
 * writes them.
 */
export async function proposalAwaitingRegency(
  aws: TestAws,
  requestApproval: Handler,
  proposal: {
    proposalId: string;
    taskToken: string;
    summary: CheckSummaryRecord;
    accepted?: readonly ProposalRow[];
    /** More of the record, e.g. its source. */
    fields?: Partial<ProposalRecord>;
  },
): Promise<void> {
  const { proposalId, taskToken, summary, accepted, fields } = proposal;
  if (accepted) {
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: KEYS.acceptedRows(proposalId),
        Body: accepted.map((row) => `${JSON.stringify(row)}\n`).join(''),
      }),
    );
  }
  await new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals).create(
    proposalRecord(proposalId, { ...fields, summary }),
  );
  await requestApproval({ proposalId, level: 'REGENCY', taskToken }, lambdaContext('dtks-request-approval'));
}

/** Calls the approvals API's `route` as `principal`: the status, the parsed body and the body as sent. */
export async function callApi<Body = Record<string, unknown>>(
  api: Handler,
  route: string,
  principal: Principal,
  options: {
    proposalId?: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
  } = {},
): Promise<{ status: number; body: Body; text: string }> {
  const pathParameters = options.proposalId ? { proposalId: options.proposalId } : options.pathParameters;
  const event = apiEvent(route, principal, { pathParameters, query: options.query, body: options.body });
  const result = (await api(event, lambdaContext('dtks-approvals-api'))) as APIGatewayProxyStructuredResultV2;
  const text = result.body ?? '';
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? '{}'), text };
}
