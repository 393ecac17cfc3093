import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { athenaColumns, FULL_SNAPSHOT_COLUMNS, PSEUDONYMISED_SNAPSHOT_COLUMNS } from '#core/snapshot.ts';
import {
  APPROVAL_ROUTES,
  type ApprovalRoute,
  ENV,
  FUNCTIONS,
  type FunctionName,
  KEYS,
  REGISTRATION_ROUTES,
  routeKeyOf,
  TABLES,
} from '#shared/contracts.ts';
import { exportRegency } from '#shared/exports/regency-export.ts';
import { provinceCodes } from '../../infra/constructs/analytics.ts';
import { repositoryPath } from '../../infra/repository.ts';
import { MemorySink, openDuck, type TempDir, tempDir } from '../functions/exports/duckdb.ts';
import { snapshotPerson } from '../support/snapshot-persons.ts';
import { type SynthesisedStack, synthesiseStack } from './synth-stack.ts';

let synth: SynthesisedStack;
beforeAll(() => {
  synth = synthesiseStack();
});

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (id: string) => ({ Ref: id });

describe('storage', () => {
  it('rotates the customer-managed key', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('blocks public access, versions and enforces TLS on every bucket', () => {
    const buckets = synth.template.findResources('AWS::S3::Bucket');
    // proposals, exports, access logs, Athena results, the console's files
    expect(Object.keys(buckets)).toHaveLength(5);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.VersioningConfiguration, id).toEqual({ Status: 'Enabled' });
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(id),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('encrypts the data buckets with the customer-managed key and logs their access', () => {
    const key = synth.logicalId(synth.stack.storage.key);
    const logs = synth.logicalId(synth.stack.storage.accessLogsBucket);
    for (const bucket of [
      synth.stack.storage.proposalsBucket,
      synth.stack.storage.exportsBucket,
      synth.stack.analytics.resultsBucket,
    ]) {
      const bucketResource = synth.template.findResources('AWS::S3::Bucket')[synth.logicalId(bucket)];
      expect(bucketResource?.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt(key) },
          },
        ],
      });
      expect(bucketResource?.Properties.LoggingConfiguration.DestinationBucketName).toEqual(ref(logs));
    }
  });

  it('turns on EventBridge notifications for the proposals bucket', () => {
    synth.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(synth.logicalId(synth.stack.storage.proposalsBucket)),
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it('expires staged rows, change sets and replaced versions in the proposals bucket', () => {
    const bucket =
      synth.template.findResources('AWS::S3::Bucket')[synth.logicalId(synth.stack.storage.proposalsBucket)];
    expect(bucket?.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 180, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'stipulation/', ExpirationInDays: 400, Status: 'Enabled' }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' }),
      ]),
    );
  });

  it('creates every table on demand with point-in-time recovery and the customer-managed key', () => {
    const key = synth.logicalId(synth.stack.storage.key);
    const tables = synth.template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(5);
    for (const [id, table] of Object.entries(tables)) {
      expect(table.Properties.BillingMode, id).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification, id).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification, id).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: getAtt(key),
      });
      expect(table.Properties.DeletionProtectionEnabled, id).toBe(true);
    }
  });

  const gsi = (index: { name: string; partitionKey: string; sortKey: string }) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  });

  it('keys the master by NIK with the family, regency and identity indexes of the contracts', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.master.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        gsi(TABLES.master.familyIndex),
        gsi(TABLES.master.regencyIndex),
        gsi(TABLES.master.identityIndex),
      ],
    });
  });

  it('pre-warms the master, its indexes and the population table to 40,000 units per second for the month', () => {
    const warm = { ReadUnitsPerSecond: 40_000, WriteUnitsPerSecond: 40_000 };
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.master.partitionKey, KeyType: 'HASH' }],
      WarmThroughput: warm,
      GlobalSecondaryIndexes: [
        { IndexName: TABLES.master.familyIndex.name, WarmThroughput: { WriteUnitsPerSecond: 40_000 } },
        // The export units and the shards' comparison read byRegency at the table's rate.
        { IndexName: TABLES.master.regencyIndex.name, WarmThroughput: warm },
        { IndexName: TABLES.master.identityIndex.name, WarmThroughput: { WriteUnitsPerSecond: 40_000 } },
      ],
    });
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.population.partitionKey, KeyType: 'HASH' }],
      WarmThroughput: warm,
    });
    // No more than the on-demand per-table default maximum: no quota raise is needed.
    for (const [id, table] of Object.entries(synth.template.findResources('AWS::DynamoDB::Table'))) {
      const units = [
        table.Properties.WarmThroughput,
        ...(table.Properties.GlobalSecondaryIndexes ?? []).map(
          (index: { WarmThroughput?: unknown }) => index.WarmThroughput,
        ),
      ];
      for (const each of units as ({ ReadUnitsPerSecond?: number; WriteUnitsPerSecond?: number } | undefined)[]) {
        expect(each?.ReadUnitsPerSecond ?? 0, id).toBeLessThanOrEqual(40_000);
        expect(each?.WriteUnitsPerSecond ?? 0, id).toBeLessThanOrEqual(40_000);
      }
    }
  });

  it('keys the proposals table by pk/sk with the task, stipulation-queue and regency indexes', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLES.proposals.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLES.proposals.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        gsi(TABLES.proposals.taskIndex),
        gsi(TABLES.proposals.stipulationIndex),
        gsi(TABLES.proposals.regencyIndex),
        gsi(TABLES.proposals.periodIndex),
      ],
    });
  });

  it('keys the registrations table by receipt with the gathering index by regency and period', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.registrations.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [gsi(TABLES.registrations.gatheringIndex)],
    });
  });

  it('expires NIK claims through the expiresAt TTL attribute', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.claims.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('functions', () => {
  it('runs every handler on nodejs24.x arm64 with tracing, its own log group and the Powertools service name', () => {
    for (const fn of Object.values(synth.stack.functions)) {
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: Match.objectLike({ LogGroup: ref(synth.logicalId(fn.functionLogGroup)) }),
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: `dtks-${fn.dtksName}`,
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    }
  });

  it('creates one function per folder of the contracts', () => {
    const names = Object.values(synth.stack.functions)
      .map((fn) => fn.dtksName)
      .sort();
    expect(names).toEqual((Object.keys(FUNCTIONS) as FunctionName[]).sort());
  });

  it('gives every log group a retention', () => {
    for (const [id, group] of Object.entries(synth.template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it('hands the pseudonymising key to the export function by ARN, encrypted with the customer-managed key', () => {
    const secret = synth.logicalId(synth.stack.pseudonymKey);
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: getAtt(synth.logicalId(synth.stack.storage.key)),
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PSEUDONYM_KEY_SECRET_ARN: ref(secret) }) },
    });
  });
});

describe('workflows', () => {
  const cases = [
    ['proposal.asl.json', () => synth.stack.proposalWorkflow],
    ['stipulation.asl.json', () => synth.stack.stipulationWorkflow],
    ['quality-control.asl.json', () => synth.stack.qualityControlWorkflow.workflow],
  ] as const;

  it.each(cases)('%s: substitutes every placeholder, leaving none unresolved', (file, workflow) => {
    const source = readFileSync(repositoryPath(`state-machines/${file}`), 'utf8');
    const machine = synth.template.findResources('AWS::StepFunctions::StateMachine')[
      synth.logicalId(workflow().stateMachine)
    ];
    const substitutions = machine?.Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(machine?.Properties.DefinitionS3Location).toBeDefined();
    const resolved = source.replace(/\$\{([^}]+)\}/g, (whole, name: string) =>
      name in substitutions ? JSON.stringify(substitutions[name]) : whole,
    );
    expect(resolved.match(/\$\{[^}]+\}/g) ?? []).toEqual([]);
  });

  it.each(cases)('%s: maps each function placeholder to that function and may invoke nothing else', (_, workflow) => {
    const machine = synth.template.findResources('AWS::StepFunctions::StateMachine')[
      synth.logicalId(workflow().stateMachine)
    ];
    const substitutions = machine?.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const functions = Object.values(synth.stack.functions).filter((fn) =>
      Object.keys(substitutions).includes(FUNCTIONS[fn.dtksName].placeholder ?? ''),
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      expect(substitutions[FUNCTIONS[fn.dtksName].placeholder as string]).toEqual(getAtt(synth.logicalId(fn)));
    }
    const role = synth.logicalId(workflow().stateMachine.role);
    const policies = Object.values(synth.template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(role))),
    );
    const invokable = policies
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
      .filter((statement) => JSON.stringify(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]));
    expect(invokable).toEqual(expect.arrayContaining(functions.map((fn) => getAtt(synth.logicalId(fn)))));
    expect(invokable).toHaveLength(functions.length);
  });

  it('gives approvers 14 days by default', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: Match.objectLike({ ApprovalTimeoutSeconds: String(14 * 24 * 3600) }),
    });
  });

  it('logs only errors, without execution data (personal data), and traces every workflow', () => {
    const machines = synth.template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(3);
    for (const machine of Object.values(machines)) {
      expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    }
  });
});

describe('intake', () => {
  it('starts the proposal workflow for objects created under proposals/, kemensos/ and mandiri/ in the proposals bucket', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [ref(synth.logicalId(synth.stack.storage.proposalsBucket))] },
          object: { key: [{ prefix: 'proposals/' }, { prefix: 'kemensos/' }, { prefix: 'mandiri/' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: ref(synth.logicalId(synth.stack.proposalWorkflow.stateMachine)),
          DeadLetterConfig: { Arn: getAtt(synth.logicalId(synth.stack.intake.deadLetterQueue)) },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: Match.anyValue() }),
        }),
      ],
    });
  });

  /** The statements of an uploader's managed policy (Intake). */
  function uploaderStatements(policy: 'regionUploaderPolicy' | 'ministryUploaderPolicy') {
    const resource = synth.template.toJSON().Resources[synth.logicalId(synth.stack.intake[policy])];
    return resource?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
  }
  const uploadObjects = (prefix: string) => ({
    'Fn::Join': ['', [getAtt(synth.logicalId(synth.stack.storage.proposalsBucket)), `/${prefix}*`]],
  });
  const viaS3 = () => ({
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: getAtt(synth.logicalId(synth.stack.storage.key)),
    Condition: {
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
    },
  });

  it("lets a region's operators upload under proposals/ only (MUSDES) and the ministry's under kemensos/ only (KEMENSOS)", () => {
    // Write only (multipart included): no read of others' uploads, and no way to claim another source.
    // A region's operator, only for the regency their principal tag names: without the tag the variable
    // does not resolve and the statement matches nothing (IAM policy variables).
    expect(uploaderStatements('regionUploaderPolicy')).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
        Resource: uploadObjects(`proposals/\${aws:PrincipalTag/dtks-regency}/`),
      },
      viaS3(),
    ]);
    expect(uploaderStatements('ministryUploaderPolicy')).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: uploadObjects('kemensos/') },
      viaS3(),
    ]);
    // mandiri/ is the gatherer's: no managed policy names it.
    const policies = synth.template.findResources('AWS::IAM::ManagedPolicy');
    expect(JSON.stringify(policies)).not.toContain('/mandiri/');
  });

  it('lets the rule start only the proposal workflow', () => {
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: ref(synth.logicalId(synth.stack.proposalWorkflow.stateMachine)),
          },
        ],
      },
    });
  });

  it('loads Dukcapil extracts placed under reference/population/ with load-population', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ prefix: 'reference/population/' }] } }),
      }),
      Targets: [Match.objectLike({ Arn: getAtt(synth.logicalId(synth.stack.functions['load-population'])) })],
    });
  });

  it('applies Dukcapil delta extracts placed under reference/population-delta/ with load-population-delta', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ prefix: 'reference/population-delta/' }] } }),
      }),
      Targets: [Match.objectLike({ Arn: getAtt(synth.logicalId(synth.stack.functions['load-population-delta'])) })],
    });
    // Neither rule's prefix holds the other's files, nor the summaries the delta load writes.
    expect(KEYS.populationDeltaPrefix.startsWith(KEYS.populationPrefix)).toBe(false);
    expect(KEYS.populationDeltaSummary('2026-12-01-1.csv').startsWith(KEYS.populationDeltaPrefix)).toBe(false);
    expect(KEYS.populationDeltaSummary('2026-12-01-1.csv').startsWith(KEYS.populationPrefix)).toBe(false);
  });

  it('encrypts the dead-letter queues with the customer-managed key', () => {
    const queues = synth.template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.KmsMasterKeyId).toEqual(getAtt(synth.logicalId(synth.stack.storage.key)));
    }
  });
});

describe('stopped proposal executions', () => {
  it("sends the proposal workflow's aborted, timed-out and failed executions to record-stopped", () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [ref(synth.logicalId(synth.stack.proposalWorkflow.stateMachine))],
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: getAtt(synth.logicalId(synth.stack.functions['record-stopped'])),
          DeadLetterConfig: { Arn: getAtt(synth.logicalId(synth.stack.stoppedProposals.deadLetterQueue)) },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
  });

  it('lets EventBridge invoke record-stopped from that rule only', () => {
    const rule = synth.logicalId(synth.stack.stoppedProposals.executionStoppedRule);
    const permissions = Object.values(synth.template.findResources('AWS::Lambda::Permission')).filter(
      (permission) =>
        JSON.stringify(permission.Properties.FunctionName) ===
        JSON.stringify(getAtt(synth.logicalId(synth.stack.functions['record-stopped']))),
    );
    expect(permissions.map((permission) => permission.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: expect.anything(),
        Principal: 'events.amazonaws.com',
        SourceArn: getAtt(rule),
      },
    ]);
  });
});

describe('quality control', () => {
  const machine = () => ref(synth.logicalId(synth.stack.qualityControlWorkflow.stateMachine));

  it('is started by the population loaders, which know its ARN and may start it (nothing else of it)', () => {
    for (const name of ['load-population', 'load-population-delta'] as const) {
      const fn = synth.stack.functions[name];
      const properties = synth.template.findResources('AWS::Lambda::Function')[synth.logicalId(fn)]?.Properties;
      expect(properties?.Environment?.Variables?.[ENV.qualityControlStateMachineArn]).toEqual(machine());
    }
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: machine() }]),
      }),
    });
  });

  it('is off the stipulation: the stipulation invokes only IncludeQualityControl of it', () => {
    const substitutions = synth.template.findResources('AWS::StepFunctions::StateMachine')[
      synth.logicalId(synth.stack.stipulationWorkflow.stateMachine)
    ]?.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const placeholders = Object.keys(substitutions).filter((name) => name.startsWith('QualityControl'));
    expect(placeholders).toEqual([FUNCTIONS['quality-control-include'].placeholder]);
  });

  it('tells the dtks command its ARN (DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN)', () => {
    synth.template.hasOutput('QualityControlStateMachineArn', {
      Value: machine(),
      Description: 'DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN',
    });
  });
});

describe('stipulation schedule', () => {
  it('starts the stipulation workflow at 01:00 on the first of every month, Asia/Jakarta, with {}', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 1 1 * ? *)',
      ScheduleExpressionTimezone: 'Asia/Jakarta',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: ref(synth.logicalId(synth.stack.stipulationWorkflow.stateMachine)),
        Input: '{}',
        DeadLetterConfig: { Arn: getAtt(synth.logicalId(synth.stack.schedule.deadLetterQueue)) },
      }),
    });
  });
});

describe('self-registration cut-off', () => {
  it('invokes mandiri-gather with {} at 00:00 WIB on the 25th of every month, with a dead-letter queue', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 0 25 * ? *)',
      ScheduleExpressionTimezone: 'Asia/Jakarta',
      Target: Match.objectLike({
        Arn: getAtt(synth.logicalId(synth.stack.functions['mandiri-gather'])),
        Input: '{}',
        DeadLetterConfig: { Arn: getAtt(synth.logicalId(synth.stack.mandiriSchedule.deadLetterQueue)) },
      }),
    });
  });
});

describe('approvals API', () => {
  it('serves every approvals route through the approvals handler behind the Cognito JWT authorizer', () => {
    const approvalRoutes = Object.keys(APPROVAL_ROUTES) as ApprovalRoute[];
    for (const route of approvalRoutes) {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKeyOf(route),
        AuthorizationType: 'JWT',
        AuthorizerId: Match.anyValue(),
      });
    }
    synth.template.resourceCountIs(
      'AWS::ApiGatewayV2::Route',
      approvalRoutes.length + Object.keys(REGISTRATION_ROUTES).length,
    );
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [ref(synth.logicalId(synth.stack.approvalsApi.userPoolClient))],
        Issuer: Match.anyValue(),
      },
    });
  });

  it('serves only the two self-registration routes without an authorizer, through registrations-api, throttled per route', () => {
    const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route'));
    const open = routes.filter((route) => route.Properties.AuthorizationType === 'NONE');
    expect(open.map((route) => route.Properties.RouteKey).sort()).toEqual([
      'GET /registrations/{receipt}',
      'POST /registrations',
    ]);
    for (const route of routes) {
      if (route.Properties.AuthorizationType !== 'NONE') expect(route.Properties.AuthorizationType).toBe('JWT');
    }
    const integrations = synth.template.findResources('AWS::ApiGatewayV2::Integration');
    const handler = synth.logicalId(synth.stack.functions['registrations-api']);
    for (const route of open) {
      const target = JSON.stringify(route.Properties.Target);
      const integration = Object.entries(integrations).find(([id]) => target.includes(id))?.[1];
      expect(JSON.stringify(integration?.Properties.IntegrationUri)).toContain(handler);
    }
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        'POST /registrations': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
        'GET /registrations/{receipt}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      },
    });
  });

  it('keeps approvers admin-created, with MFA, role and area attributes and threat protection', () => {
    synth.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      Schema: [Match.objectLike({ Name: 'role' }), Match.objectLike({ Name: 'area' })],
    });
  });

  it('does not let the app client write role or area', () => {
    const clients = Object.values(synth.template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const writable = clients[0]?.Properties.WriteAttributes as string[];
    expect(writable).not.toContain('custom:role');
    expect(writable).not.toContain('custom:area');
  });

  it('logs access and throttles the stage', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: {
        DestinationArn: getAtt(synth.logicalId(synth.stack.approvalsApi.accessLogGroup)),
        Format: Match.stringLikeRegexp('requestId'),
      },
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
  });
});

describe('analytics', () => {
  const columns = (list: Parameters<typeof athenaColumns>[0]) =>
    athenaColumns(list).map(({ name, type }) => ({ Name: name, Type: type }));

  it.each([
    ['snapshot', 'exports/', FULL_SNAPSHOT_COLUMNS],
    ['snapshot_pseudonymised', 'pseudonymised/', PSEUDONYMISED_SNAPSHOT_COLUMNS],
  ] as const)('projects partitions of %s by period (monthly) and province', (name, prefix, list) => {
    synth.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: name,
        PartitionKeys: [Match.objectLike({ Name: 'period' }), Match.objectLike({ Name: 'province' })],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.period.type': 'date',
          'projection.period.format': 'yyyy-MM',
          'projection.period.interval.unit': 'MONTHS',
          'projection.province.type': 'enum',
          'projection.province.values': provinceCodes().join(','),
          'storage.location.template': {
            'Fn::Join': [
              '',
              [
                's3://',
                ref(synth.logicalId(synth.stack.storage.exportsBucket)),
                `/${prefix}period=\${period}/province=\${province}/`,
              ],
            ],
          },
        }),
        StorageDescriptor: Match.objectLike({
          Columns: columns(list),
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        }),
      }),
    });
  });

  /** The Athena type of each DuckDB type the export's Parquet files are read as. */
  const ATHENA_TYPE_OF_DUCKDB: Record<string, string> = {
    VARCHAR: 'string',
    DATE: 'date',
    INTEGER: 'int',
    BIGINT: 'bigint',
  };

  /** One regency exported by the export code itself; the Parquet files of both tiers, on disk. */
  async function writtenFiles(dir: TempDir): Promise<Record<'snapshot' | 'snapshot_pseudonymised', string>> {
    const sinks = new Map<string, MemorySink>();
    async function* persons() {
      yield Array.from({ length: 6 }, (_, i) => snapshotPerson(i));
    }
    const part = await exportRegency({
      period: '2026-11',
      regency: '3371',
      province: '33',
      persons,
      pseudonymKey: 'k',
      k: 5,
      openFile: (key) => {
        const sink = new MemorySink(key);
        sinks.set(key, sink);
        return sink;
      },
    });
    const path = async (tier: 'full' | 'pseudonymised') => {
      const key = part.files.find((file) => file.tier === tier)?.key ?? '';
      return dir.file(`${tier}.parquet`, sinks.get(key)?.bytes() ?? Buffer.alloc(0));
    };
    return { snapshot: await path('full'), snapshot_pseudonymised: await path('pseudonymised') };
  }

  it('declares exactly the columns and types of the Parquet files the export writes, partition keys apart', async () => {
    const duck = await openDuck();
    const dir = await tempDir();
    try {
      const files = await writtenFiles(dir);
      for (const [name, path] of Object.entries(files)) {
        const described = await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${path}', hive_partitioning = false)`);
        const written = described.map((column) => ({
          Name: String(column.column_name),
          Type: ATHENA_TYPE_OF_DUCKDB[String(column.column_type)] ?? `unmapped ${String(column.column_type)}`,
        }));
        const tables = synth.template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: name } } });
        const input = Object.values(tables)[0]?.Properties.TableInput;
        expect(input?.StorageDescriptor.Columns, name).toEqual(written);
        // Athena: partition columns do not exist in the data, and one named like a data column is an error.
        const partitionKeys = ((input?.PartitionKeys ?? []) as { Name: string }[]).map((key) => key.Name.toLowerCase());
        expect(partitionKeys).toEqual(['period', 'province']);
        expect(written.filter((column) => partitionKeys.includes(column.Name.toLowerCase()))).toEqual([]);
      }
    } finally {
      duck.close();
      await dir.remove();
    }
  });

  it('projects partitions that hold the Parquet files, never the part records or the manifest', () => {
    const tables = synth.template.findResources('AWS::Glue::Table', {
      Properties: { TableInput: { Name: 'snapshot' } },
    });
    const { Parameters } = Object.values(tables)[0]?.Properties.TableInput ?? {};
    const [, parts] = Parameters['storage.location.template']['Fn::Join'] as [string, unknown[]];
    // "/exports/period=<period>/province=<province>/" after the bucket name
    const template = String(parts[2]).slice(1);
    const partition = (province: string) =>
      template.replace(/\$\{period\}/, '2026-11').replace(/\$\{province\}/, province);
    expect(KEYS.exportPart('2026-11', '33', '3371').startsWith(partition('33'))).toBe(true);
    for (const key of [KEYS.exportPartRecord('2026-11', '3371'), KEYS.manifest('2026-11')]) {
      expect(provinceCodes().filter((province) => key.startsWith(partition(province)))).toEqual([]);
    }
  });

  it('lists the 38 current provinces for the province projection', () => {
    expect(provinceCodes()).toHaveLength(38);
    expect(provinceCodes()).toContain('33');
  });

  it('keeps names and NIKs out of the pseudonymised table', () => {
    const names = PSEUDONYMISED_SNAPSHOT_COLUMNS.map((column) => column.name);
    for (const personal of ['nik', 'no_kk', 'nama', 'nama_ibu_kandung', 'alamat', 'tanggal_lahir', 'tempat_lahir']) {
      expect(names).not.toContain(personal);
    }
  });

  /** The statements of the managed policy `id` of the analytics construct. */
  function readerStatements(policy: 'pseudonymisedReaderPolicy' | 'fullReaderPolicy') {
    const id = synth.logicalId(synth.stack.analytics[policy]);
    const resource = synth.template.toJSON().Resources[id];
    return resource?.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
  }
  const objects = (path: string) => ({
    'Fn::Join': ['', [getAtt(synth.logicalId(synth.stack.storage.exportsBucket)), `/${path}`]],
  });

  it("lets a general analyst's principal read the pseudonymised tier and the manifests, never the full tier", () => {
    const bucket = getAtt(synth.logicalId(synth.stack.storage.exportsBucket));
    expect(readerStatements('pseudonymisedReaderPolicy')).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objects('pseudonymised/*'), objects('exports/period=*/manifest.json')],
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': ['pseudonymised/*'] } },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: getAtt(synth.logicalId(synth.stack.storage.key)),
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        },
      },
    ]);
  });

  it("lets the ministry's principal read the full tier (with its manifests) and nothing else of the bucket", () => {
    const statements = readerStatements('fullReaderPolicy');
    expect(statements[0]).toEqual({ Effect: 'Allow', Action: 's3:GetObject', Resource: objects('exports/*') });
    expect(statements[1]).toMatchObject({
      Action: 's3:ListBucket',
      Condition: { StringLike: { 's3:prefix': ['exports/*'] } },
    });
    expect(statements).toHaveLength(3);
  });

  it('enforces an Athena workgroup with SSE-KMS results', () => {
    synth.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: getAtt(synth.logicalId(synth.stack.storage.key)),
          },
        },
      }),
    });
  });
});

describe('monitoring', () => {
  it('alarms on failed and timed-out executions of every workflow and on every function error', () => {
    const topic = ref(synth.logicalId(synth.stack.monitoring.alarmTopic));
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      for (const workflow of [
        synth.stack.proposalWorkflow,
        synth.stack.stipulationWorkflow,
        synth.stack.qualityControlWorkflow,
      ]) {
        synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: ref(synth.logicalId(workflow.stateMachine)) }],
          AlarmActions: [topic],
        });
      }
    }
    for (const fn of Object.values(synth.stack.functions)) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: ref(synth.logicalId(fn)) }],
        AlarmActions: [topic],
      });
    }
  });

  it('encrypts the alarm topic', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: getAtt(synth.logicalId(synth.stack.storage.key)),
    });
  });
});
