/**
 * The stipulation runs (executions of the stipulation state machine) as the board and POST /stipulations
 * see them: ListExecutions of that one machine, newest first. A run is a period's when its name carries
 * the period (the console's console-<period>-…, the CLI's manual-<period>-…) or when it is the execution
 * that recorded the period; a scheduled run is named by the scheduler and is known by its record only.
 */
import { type ExecutionListItem, type ExecutionStatus, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { PeriodRecord } from '#shared/periods-repository.ts';
import { config, sfn } from './stores.ts';

/** At most this many recent runs are read (10 pages): a month has a handful. */
const MAX_RUNS = 1000;

export interface StipulationRun {
  name: string;
  executionArn: string;
  period?: string;
  status: string;
  startedAt: string;
  stoppedAt?: string;
  applied?: number;
  carriedForward?: boolean;
}

export async function listRuns(statusFilter?: ExecutionStatus): Promise<ExecutionListItem[]> {
  const runs: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: config.stipulationStateMachineArn,
        statusFilter,
        maxResults: 100,
        nextToken,
      }),
    );
    runs.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && runs.length < MAX_RUNS);
  return runs;
}

/** The runs of `period`, with what its record says of the run that stipulated it. */
export function runsOf(period: string, runs: readonly ExecutionListItem[], record?: PeriodRecord): StipulationRun[] {
  return runs
    .filter(({ name = '', executionArn }) => name.includes(period) || executionArn === record?.executionId)
    .map(({ name = '', executionArn = '', status = 'RUNNING', startDate, stopDate }) => {
      const recorded = record?.executionId === executionArn;
      return {
        name,
        executionArn,
        period,
        status,
        startedAt: (startDate ?? new Date(0)).toISOString(),
        ...(stopDate ? { stoppedAt: stopDate.toISOString() } : {}),
        ...(recorded && record.counts.applied !== undefined ? { applied: record.counts.applied } : {}),
        ...(recorded ? { carriedForward: record.carriedForward } : {}),
      };
    });
}
