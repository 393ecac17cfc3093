/**
 * The Step Functions API of the local runtime driven by the real clients: @aws-sdk/client-sfn and the
 * AWS CLI (`aws stepfunctions … --endpoint-url`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  ResourceNotFound,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TagResourceCommand,
  TaskTimedOut,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StepFunctionsApiServer, serveStepFunctionsApi } from '#local/sfn/http.ts';
import { callbackTask, type Harness, machine, startHarness } from './harness.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const run = promisify(execFile);

const approval = machine('Ask', {
  Ask: callbackTask('ask', {
    Output: '{% $states.result %}',
    Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Refused' }],
    End: true,
  }),
  Refused: { Type: 'Fail', Error: '{% $states.input.Error %}', Cause: '{% $states.input.Cause %}' },
});

let harness: Harness;
let server: StepFunctionsApiServer;
let sfn: SFNClient;
let machineArn: string;
let taggedArn: string;

beforeAll(async () => {
  harness = await startHarness({
    machines: { Approval: approval, Tagged: approval },
    tags: {
      Tagged: [
        { key: 'application', value: 'dtks' },
        { key: 'workflow', value: 'proposal' },
      ],
    },
  });
  server = await serveStepFunctionsApi(harness.runtime);
  sfn = new SFNClient({
    endpoint: server.endpoint,
    region: 'ap-southeast-3',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  machineArn = harness.runtime.stateMachineArn('Approval');
  taggedArn = harness.runtime.stateMachineArn('Tagged');
});

afterAll(async () => {
  sfn?.destroy();
  await server?.close();
  await harness?.close();
});

async function startWaiting(name: string, input = '{"proposalId":"P-1"}') {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input }));
  const task = await harness.runtime.waitForPendingTask(executionArn ?? '');
  return { executionArn: executionArn ?? '', taskToken: task.taskToken };
}

describe('Step Functions API with @aws-sdk/client-sfn', () => {
  it('starts, describes and completes an execution with SendTaskSuccess', async () => {
    const { executionArn, taskToken } = await startWaiting('sdk-success');
    expect(executionArn).toBe('arn:aws:states:ap-southeast-3:000000000000:execution:Approval:sdk-success');
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'sdk-success', input: '{"proposalId":"P-1"}' });
    expect(running.startDate).toBeInstanceOf(Date);

    await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"APPROVE"}' }));
    await harness.runtime.waitForStatus(executionArn);
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"decision":"APPROVE"}' });
    expect(done.stopDate?.getTime()).toBeGreaterThanOrEqual(done.startDate?.getTime() ?? Number.POSITIVE_INFINITY);
  });

  it('answers TaskTimedOut for a closed task and InvalidToken for a token it never issued, as AWS does', async () => {
    const { executionArn, taskToken } = await startWaiting('sdk-closed');
    await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'ApprovalWithdrawn', cause: 'ditarik' }));
    expect(await harness.runtime.waitForStatus(executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'ApprovalWithdrawn',
      cause: 'ditarik',
    });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken }))).rejects.toBeInstanceOf(TaskTimedOut);
    // AWS: TaskDoesNotExist is the activity answer; a callback token it cannot read is InvalidToken,
    // whether it is garbage or has the shape of a real token.
    const forged = `${taskToken.slice(0, 4)}${'A'.repeat(taskToken.length - 4)}`;
    for (const bogus of ['never-issued', forged]) {
      await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: bogus, output: '{}' }))).rejects.toMatchObject({
        name: 'InvalidToken',
        message: expect.stringContaining('Invalid Token'),
      });
      await expect(sfn.send(new SendTaskFailureCommand({ taskToken: bogus }))).rejects.toBeInstanceOf(InvalidToken);
      await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: bogus }))).rejects.toBeInstanceOf(InvalidToken);
    }
  });

  it('validates the task token length as AWS does (1 to 2048 characters)', async () => {
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'x'.repeat(2049), output: '{}' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("'taskToken'") });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: '' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    // 2048 characters is a valid length: it is answered as a token, not as a malformed request.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'x'.repeat(2048), output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
  });

  it('answers InvalidOutput for a task result that is not JSON, and keeps the task open', async () => {
    const { executionArn, taskToken } = await startWaiting('sdk-invalid-output');
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{not json' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"APPROVE"}' }));
    expect(await harness.runtime.waitForStatus(executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('is idempotent for the same name and input while running, and refuses a different input', async () => {
    const first = await startWaiting('sdk-idempotent');
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: 'sdk-idempotent', input: '{"proposalId":"P-1"}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'sdk-idempotent', input: '{}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('stops an execution as ABORTED and lists executions by status with pagination', async () => {
    const { executionArn } = await startWaiting('sdk-stopped');
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'test' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED' });

    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions?.map((execution) => execution.name)).toEqual(['sdk-stopped']);

    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 1, nextToken }));
      expect(page.executions?.length).toBeLessThanOrEqual(1);
      names.push(...(page.executions ?? []).map((execution) => execution.name ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toContain('sdk-stopped');
    expect(names).toContain('sdk-success');
    expect(new Set(names).size).toBe(names.length);
  });

  it('returns the history with the Step Functions event types and details', async () => {
    const { executionArn, taskToken } = await startWaiting('sdk-history');
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"REJECT"}' }));
    await harness.runtime.waitForStatus(executionArn);
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Ask', input: '{"proposalId":"P-1"}' });
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(JSON.stringify(events)).not.toContain(taskToken);
    const lean = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(lean.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'Ask' });
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events?.map((event) => event.type)).toEqual(['ExecutionSucceeded', 'TaskStateExited']);
    expect(reversed.nextToken).toBeDefined();
  });

  it('describes and lists the loaded state machines', async () => {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn }));
    expect(described).toMatchObject({ name: 'Approval', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition ?? '')).toMatchObject({ StartAt: 'Ask' });
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((stateMachine) => stateMachine.stateMachineArn)).toEqual([machineArn, taggedArn]);
  });

  it('describes the state machine of an execution (DescribeStateMachineForExecution)', async () => {
    const { executionArn } = await startWaiting('sdk-machine-of');
    const described = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ stateMachineArn: machineArn, name: 'Approval' });
    expect(JSON.parse(described.definition ?? '')).toMatchObject({ StartAt: 'Ask' });
    expect(described.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(described.updateDate).toBeInstanceOf(Date);
    await expect(
      sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: `${executionArn}-unknown` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidArn);
  });

  it('lists the tags of a state machine, and names what it does not know', async () => {
    expect(await sfn.send(new ListTagsForResourceCommand({ resourceArn: taggedArn }))).toMatchObject({
      tags: [
        { key: 'application', value: 'dtks' },
        { key: 'workflow', value: 'proposal' },
      ],
    });
    expect((await sfn.send(new ListTagsForResourceCommand({ resourceArn: machineArn }))).tags).toEqual([]);
    await expect(
      sfn.send(new ListTagsForResourceCommand({ resourceArn: `${machineArn}-unknown` })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(sfn.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' }))).rejects.toBeInstanceOf(
      InvalidArn,
    );
  });

  it('validates a definition with the local checker, in the shape of ValidateStateMachineDefinition', async () => {
    const valid = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: approval }));
    expect(valid).toMatchObject({ result: 'OK', diagnostics: [] });

    const notJson = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: '{"StartAt":' }));
    expect(notJson).toMatchObject({
      result: 'FAIL',
      diagnostics: [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION' }],
    });

    const badResource = machine('Run', {
      Run: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Arguments: { FunctionName: 'x' }, End: true },
    });
    const resource = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: badResource }));
    expect(resource.result).toBe('FAIL');
    expect(resource.diagnostics?.[0]).toMatchObject({
      severity: 'ERROR',
      code: 'INVALID_RESOURCE',
      location: '/States/Run',
      message: expect.stringContaining('sqs:sendMessage'),
    });

    const nested = machine('Each', {
      Each: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Pass', Next: 'Nowhere' } } },
        End: true,
      },
    });
    const schema = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: nested }));
    expect(schema).toMatchObject({
      result: 'FAIL',
      diagnostics: [
        {
          severity: 'ERROR',
          code: 'SCHEMA_VALIDATION_FAILED',
          location: '/States/Each/ItemProcessor/States/Inner',
          message: expect.stringContaining('Nowhere'),
        },
      ],
    });
    const coalescing = machine('E', { E: { Type: 'Pass', Output: '{% $states.input.a ?? 1 %}', End: true } });
    const jsonata = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: coalescing }));
    expect(jsonata).toMatchObject({
      result: 'FAIL',
      diagnostics: [
        {
          severity: 'ERROR',
          code: 'INVALID_JSONATA_EXPRESSION',
          location: '/States/E',
          message: expect.stringContaining('the ?? operator'),
        },
      ],
    });
    // A definition is validated as written: a ${placeholder} is text, as it is for AWS.
    const placeholder = await sfn.send(
      new ValidateStateMachineDefinitionCommand({
        definition: machine('Run', {
          Run: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: `\${IngestFunctionArn}` },
            End: true,
          },
        }),
      }),
    );
    expect(placeholder.result).toBe('OK');
    await expect(sfn.send(new ValidateStateMachineDefinitionCommand({ definition: '' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('keeps answering UnknownOperationException for what it does not implement', async () => {
    await expect(
      sfn.send(new TagResourceCommand({ resourceArn: machineArn, tags: [{ key: 'a', value: 'b' }] })),
    ).rejects.toMatchObject({ name: 'UnknownOperationException', message: expect.stringContaining('TagResource') });
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    await expect(
      sfn.send(
        new DescribeExecutionCommand({ executionArn: `${machineArn.replace('stateMachine', 'execution')}:nope` }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});

describe('Step Functions API with the AWS CLI', () => {
  const cliEnvironment = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'ap-southeast-3',
    AWS_REGION: 'ap-southeast-3',
    AWS_PAGER: '',
  });

  async function aws(...args: string[]): Promise<unknown> {
    try {
      const { stdout } = await run('aws', [...args, '--endpoint-url', server.endpoint, '--output', 'json'], {
        env: cliEnvironment(),
      });
      return stdout.trim() ? JSON.parse(stdout) : {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('The AWS CLI (`aws`) is not installed; CI installs it (Debian package awscli or pip awscli)');
      }
      throw error;
    }
  }

  it('describes an execution and completes its task with send-task-success', async () => {
    const { executionArn, taskToken } = await startWaiting('cli-success');
    expect(await aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn)).toMatchObject({
      executionArn,
      status: 'RUNNING',
      name: 'cli-success',
    });
    await aws(
      'stepfunctions',
      'send-task-success',
      '--task-token',
      taskToken,
      '--task-output',
      '{"decision":"APPROVE"}',
    );
    await harness.runtime.waitForStatus(executionArn);
    expect(await aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"decision":"APPROVE"}',
    });
  });

  it('reports TaskTimedOut to the CLI for a task that is already closed', async () => {
    const { executionArn, taskToken } = await startWaiting('cli-closed');
    await harness.runtime.sendTaskSuccess({ taskToken, output: '{}' });
    await harness.runtime.waitForStatus(executionArn);
    await expect(
      aws('stepfunctions', 'send-task-success', '--task-token', taskToken, '--task-output', '{}'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('TaskTimedOut') });
  });

  it('answers validate-state-machine-definition, describe-state-machine-for-execution and list-tags-for-resource', async () => {
    expect(await aws('stepfunctions', 'validate-state-machine-definition', '--definition', approval)).toMatchObject({
      result: 'OK',
      diagnostics: [],
    });
    expect(
      await aws('stepfunctions', 'validate-state-machine-definition', '--definition', '{"StartAt": "A", "States": {}}'),
    ).toMatchObject({ result: 'FAIL', diagnostics: [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED' }] });
    const { executionArn } = await startWaiting('cli-machine-of');
    expect(
      await aws('stepfunctions', 'describe-state-machine-for-execution', '--execution-arn', executionArn),
    ).toMatchObject({ stateMachineArn: machineArn, name: 'Approval' });
    expect(await aws('stepfunctions', 'list-tags-for-resource', '--resource-arn', taggedArn)).toEqual({
      tags: [
        { key: 'application', value: 'dtks' },
        { key: 'workflow', value: 'proposal' },
      ],
    });
  });

  it('reports InvalidToken to the CLI for a token that was never issued', async () => {
    await expect(
      aws('stepfunctions', 'send-task-success', '--task-token', 'never-issued', '--task-output', '{}'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('InvalidToken') });
  });
});
