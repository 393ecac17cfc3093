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

/**
 * CDK's own stack-level provider Lambda whose id starts with `idPrefix` (one per stack, made by CDK for a
 * custom resource), with its IAM4 finding acknowledged: AWS's basic execution policy only writes its logs.
 * Undefined when the stack has none.
 */
export function acknowledgeCdkProvider(scope: IConstruct, idPrefix: string, purpose: string): IConstruct | undefined {
  const provider = Stack.of(scope).node.children.find((child) => child.node.id.startsWith(idPrefix));
  if (provider) {
    acknowledge(
      provider,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      `CDK's deployment-time custom resource that ${purpose}; AWS's basic execution policy only lets it write its own logs.`,
    );
  }
  return provider;
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
