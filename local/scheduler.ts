/**
 * The monthly stipulation schedule, locally: the same moment as the production EventBridge Scheduler
 * rule, cron(0 1 1 * ? *) in Asia/Jakarta — 01:00 WIB on the first day of each month. The workflow
 * derives the closing period (the month before) itself.
 */

/** Asia/Jakarta is UTC+7 all year (no daylight saving). */
const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;
/** setTimeout holds at most 2^31-1 ms (~24.8 days): longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The next first-of-month 01:00 WIB strictly after `now`. */
export function nextStipulationRun(now: Date): Date {
  const jakarta = new Date(now.getTime() + JAKARTA_OFFSET_MS);
  let year = jakarta.getUTCFullYear();
  let month = jakarta.getUTCMonth();
  let candidate = Date.UTC(year, month, 1, 1) - JAKARTA_OFFSET_MS;
  if (candidate <= now.getTime()) {
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
    candidate = Date.UTC(year, month, 1, 1) - JAKARTA_OFFSET_MS;
  }
  return new Date(candidate);
}

/** The month a run at `at` closes: the calendar month before, in Asia/Jakarta. */
export function closingPeriod(at: Date): string {
  const jakarta = new Date(at.getTime() + JAKARTA_OFFSET_MS);
  const previous = new Date(Date.UTC(jakarta.getUTCFullYear(), jakarta.getUTCMonth() - 1, 1));
  return `${previous.getUTCFullYear()}-${String(previous.getUTCMonth() + 1).padStart(2, '0')}`;
}

export interface MonthlySchedule {
  next: Date;
  stop(): void;
}

/** Calls `run` at every scheduled moment until stopped. */
export function scheduleMonthly(run: (at: Date) => void | Promise<void>, now = () => new Date()): MonthlySchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule: MonthlySchedule = {
    next: nextStipulationRun(now()),
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
        schedule.next = nextStipulationRun(at);
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
