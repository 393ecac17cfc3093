/**
 * Workflow: a Step Functions state machine loaded from its ASL file in state-machines/ (the single
 * source of truth, also run by the local runtime), with every `${...}Arn` placeholder substituted by
 * the function's ARN and the invoke permission granted per function.
 */
import { ArnFormat, type CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTIONS } from '#shared/contracts.ts';
import { repositoryPath } from '../repository.ts';
import { acknowledge, acknowledgeWildcard, arnReference, WILDCARD_REASONS } from './acknowledge.ts';
import type { DtksFunction } from './dtks-function.ts';

export interface WorkflowProps {
  /** The ASL file under state-machines/, e.g. `proposal.asl.json`. */
  readonly definitionFile: string;
  /** The functions the definition invokes; each must have a FUNCTIONS placeholder. */
  readonly functions: DtksFunction[];
  /** Substitutions other than function ARNs (documented in state-machines/README.md). @default none */
  readonly extraSubstitutions?: Record<string, string>;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default Duration.days(365): the longest a standard execution may run */
  readonly timeout?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The definition's distributed Maps: where their items are read and their results written. @default none */
  readonly distributedMaps?: DistributedMapAccess;
}

/**
 * What a distributed Map needs of its state machine's role (developer guide, "IAM policies for running
 * Distributed Map states"): to start its child executions (of the state machine itself), to describe and
 * stop them, to read the ItemReader's objects and to write the ResultWriter's files, with the bucket's key
 * through S3 only.
 */
export interface DistributedMapAccess {
  readonly bucket: s3.IBucket;
  /** Key patterns of the ItemReader objects (read: GetObject). */
  readonly itemKeys: readonly string[];
  /** Key prefixes of the ResultWriter files (written: PutObject, with the multipart upload's own actions). */
  readonly resultPrefixes: readonly string[];
}

export class Workflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** The definitionSubstitutions given to CloudFormation, placeholder → value. */
  public readonly substitutions: Record<string, string>;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const substitutions: Record<string, string> = { ...props.extraSubstitutions };
    for (const fn of props.functions) {
      const placeholder = FUNCTIONS[fn.dtksName].placeholder;
      if (!placeholder) throw new Error(`Function ${fn.dtksName} has no state machine placeholder in FUNCTIONS`);
      substitutions[placeholder] = fn.functionArn;
    }
    this.substitutions = substitutions;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(repositoryPath(`state-machines/${props.definitionFile}`)),
      definitionSubstitutions: substitutions,
      timeout: props.timeout ?? Duration.days(365),
      tracingEnabled: true,
      // Execution data holds NIKs and names: only errors are logged, without inputs and outputs.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });

    for (const fn of props.functions) {
      // The unqualified ARN the definition names, nothing else (grantInvoke would add `<arn>:*`).
      iam.Grant.addToPrincipal({
        grantee: this.stateMachine,
        actions: ['lambda:InvokeFunction'],
        resourceArns: [fn.functionArn],
      });
    }

    if (props.distributedMaps) this.allowDistributedMaps(props.distributedMaps);

    acknowledge(
      this.stateMachine,
      'SF1',
      'Execution data holds NIKs, No. KKs and names (personal data under UU 27/2022): the state machine logs ERROR events without execution data; per-row detail stays in the encrypted tables.',
    );
    acknowledgeWildcard(this.stateMachine, 'Resource::*', `${WILDCARD_REASONS.logDelivery} ${WILDCARD_REASONS.xray}`);
  }

  /**
   * In a policy of its own, attached to the role after the state machine exists: the statements name the
   * state machine's own ARN, which its default policy (a dependency of the state machine) cannot.
   */
  private allowDistributedMaps({ bucket, itemKeys, resultPrefixes }: DistributedMapAccess): void {
    const { stateMachine } = this;
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const statements = [
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [executions],
      }),
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: itemKeys.map((key) => bucket.arnForObjects(key)),
      }),
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
        resources: resultPrefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    ];
    if (bucket.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [bucket.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    const policy = new iam.Policy(this, 'DistributedMapPolicy', { statements });
    policy.attachToRole(stateMachine.role);
    acknowledgeWildcard(
      policy,
      `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${Stack.of(this).getLogicalId(stateMachine.node.defaultChild as CfnElement)}.Name>/*`,
      "A distributed Map's child executions are named by Step Functions when it starts them (<state machine>/<label>:<uuid>): only this state machine's own executions, never another's.",
    );
    for (const key of [...itemKeys, ...resultPrefixes.map((prefix) => `${prefix}*`)]) {
      acknowledgeWildcard(policy, `Resource::${arnReference(bucket)}/${key}`, WILDCARD_REASONS.objectPrefix);
    }
  }
}
