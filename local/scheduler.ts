/**
 * The monthly stipulation schedule, locally: the same moment as the production EventBridge Scheduler
 * rule, cron(0 1 1 * ? *) in Asia/Jakarta — 01:00 WIB on the first day of each month. The workflow
 * derives the closing period (the month before) itself. The self-registration cut-off likewise:
 * cron(0 0 <day> * ? *), 00:00 WIB on the cut-off day (infra/constructs/mandiri-schedule.ts).
 */
import { nextPeriod, periodAt, periodStart } from '#core/period.ts';
import { cutoffOf, DEFAULT_CUTOFF_DAY } from '#core/registration.ts';

/** The month a run at `at` closes (core's rule, which the workflow's DetermineClosingPeriod follows). */
export { closingPeriod } from '#core/period.ts';

/** setTimeout holds at most 2^31-1 ms (~24.8 days): longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The run is at 01:00 WIB, an hour into the month. */
const RUN_AFTER_MONTH_START_MS = 60 * 60 * 1000;

/** The next first-of-month 01:00 WIB strictly after `now`. */
export function nextStipulationRun(now: Date): Date {
  const runOf = (period: string) => new Date(periodStart(period).getTime() + RUN_AFTER_MONTH_START_MS);
  const thisMonth = periodAt(now);
  const run = runOf(thisMonth);
  return run.getTime() > now.getTime() ? run : runOf(nextPeriod(thisMonth));
}

/** The next cut-off (the day at 00:00 WIB) strictly after `now`. */
export function nextMandiriCutoff(now: Date, cutoffDay: number = DEFAULT_CUTOFF_DAY): Date {
  const thisMonth = periodAt(now);
  const run = cutoffOf(thisMonth, cutoffDay);
  return run.getTime() > now.getTime() ? run : cutoffOf(nextPeriod(thisMonth), cutoffDay);
}

export interface MonthlySchedule {
  next: Date;
  stop(): void;
}

/** Calls `run` at every scheduled moment (`nextRun`: the stipulation's by default) until stopped. */
export function scheduleMonthly(
  run: (at: Date) => void | Promise<void>,
  now = () => new Date(),
  nextRun: (after: Date) => Date = nextStipulationRun,
): MonthlySchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule: MonthlySchedule = {
    next: nextRun(now()),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
  const arm = () => {
    if (stopped) return;
    const wait = schedule.next.getTime() - now().getTime();
    timer = setTimeout(
      async () => {
        if (schedule.next.getTime() > now().getTime()) return arm();
        const at = schedule.next;
        schedule.next = nextRun(at);
        try {
          await run(at);
        } finally {
          arm();
        }
      },
      Math.min(Math.max(wait, 0), MAX_TIMEOUT_MS),
    );
    timer.unref();
  };
  arm();
  return schedule;
}
