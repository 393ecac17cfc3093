/**
 * cdk-nag acknowledgements (cdk-nag v3: `Validations.of(scope).acknowledge`). Every acknowledgement
 * names one finding exactly and carries its reason; nothing is acknowledged by prefix or for a whole stack.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** `<LogicalId.Arn>`: how cdk-nag spells a `Fn::GetAtt [LogicalId, Arn]` inside an IAM5 finding. */
export function arnReference(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).resolve(element.logicalId)}.Arn>`;
}

/** Acknowledges one AwsSolutions finding on `scope` (and its children) with the reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
}

/** Acknowledges one IAM5 (wildcard) finding, e.g. `Action::kms:GenerateDataKey*` or `Resource::*`. */
export function acknowledgeWildcard(scope: IConstruct, finding: string, reason: string): void {
  acknowledge(scope, `IAM5[${finding}]`, reason);
}

export const WILDCARD_REASONS = {
  xray: 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions: AWS requires Resource "*" (active tracing).',
  objectPrefix:
    'Objects under one key prefix of one bucket (or the same folder of every period, exports/period=*/_parts/): S3 object ARNs of keys that do not exist yet can only be named by prefix.',
  logDelivery:
    'CloudWatch Logs delivery APIs (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups ...) have no resource-level permissions: AWS requires Resource "*" for Step Functions logging.',
} as const;
