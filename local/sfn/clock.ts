/**
 * Time for the local runtime. Waits, retry back-offs and task timeouts are deadlines on a clock; tests
 * use the ManualClock to move time forward instead of waiting real minutes.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fire` once the clock reaches `at` (epoch ms); returns a function that cancels it. */
  schedule(at: number, fire: () => void): () => void;
}

// setTimeout takes at most 2^31-1 ms (about 24.8 days); approval timeouts are 14 days but may be longer.
const MAX_TIMEOUT = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(at, fire) {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = at - Date.now();
      if (delay <= 0) {
        timer = setTimeout(fire, 0);
        return;
      }
      timer = setTimeout(arm, Math.min(delay, MAX_TIMEOUT));
    };
    arm();
    return () => clearTimeout(timer);
  },
};

interface ManualTimer {
  at: number;
  fire: () => void;
  sequence: number;
}

/** A clock that only moves when told to: `advance` fires the due timers in deadline order. */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private sequence = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, fire: () => void): () => void {
    const timer: ManualTimer = { at, fire, sequence: this.sequence++ };
    if (at <= this.current) {
      // Already due: fire on the next turn, as a zero-delay timer would.
      let cancelled = false;
      setImmediate(() => {
        if (!cancelled) fire();
      });
      return () => {
        cancelled = true;
      };
    }
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((candidate) => candidate !== timer);
    };
  }

  /** Deadlines still pending, as milliseconds from now, soonest first. */
  pending(): number[] {
    return this.timers.map((timer) => timer.at - this.current).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.sequence - b.sequence)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.current = Math.max(this.current, due.at);
      due.fire();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = target;
  }

  /**
   * Waits (in real time, up to `timeoutMs`) until at least `count` timers are pending, then returns the
   * delays of the pending timers: how a test sees that an execution reached a wait.
   */
  async waitForTimers(count = 1, timeoutMs = 10_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.timers.length < count) {
      if (Date.now() > deadline) throw new Error(`ManualClock: no ${count} pending timer(s) after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return this.pending();
  }
}
