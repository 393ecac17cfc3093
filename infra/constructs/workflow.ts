/**
 * Workflow: a Step Functions state machine loaded from its ASL file in state-machines/ (the single
 * source of truth, also run by the local runtime), with every `${...}Arn` placeholder substituted by
 * the function's ARN and the invoke permission granted per function.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTIONS } from '#shared/contracts.ts';
import { repositoryPath } from '../repository.ts';
import { acknowledge, acknowledgeWildcard, WILDCARD_REASONS } from './acknowledge.ts';
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

    acknowledge(
      this.stateMachine,
      'SF1',
      'Execution data holds NIKs, No. KKs and names (personal data under UU 27/2022): the state machine logs ERROR events without execution data; per-row detail stays in the encrypted tables.',
    );
    acknowledgeWildcard(this.stateMachine, 'Resource::*', `${WILDCARD_REASONS.logDelivery} ${WILDCARD_REASONS.xray}`);
  }
}
