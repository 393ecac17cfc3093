/**
 * A shared pace for the writes of one invocation: a token bucket of write units per second that every
 * concurrent worker draws from, halved when DynamoDB throttles and raised back step by step as writes
 * succeed (additive increase, multiplicative decrease), so a burst of workers does not turn a table's
 * limit into a storm of retries.
 */

/** DynamoDB's answers to a request over the table's or a partition's throughput. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has((error as Error).name);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WriteThrottle {
  private rate: number;
  private tokens: number;
  private last = performance.now();

  /** `unitsPerSecond`: the ceiling; after throttling the pace never falls below a sixteenth of it. */
  constructor(private readonly unitsPerSecond: number) {
    this.rate = unitsPerSecond;
    this.tokens = this.burst();
  }

  /** Waits until `units` may be spent (a reservation: concurrent takers queue behind each other). */
  async take(units: number): Promise<void> {
    this.refill();
    this.tokens -= units;
    if (this.tokens < 0) await sleep((-this.tokens / this.rate) * 1000);
  }

  /** DynamoDB throttled a write: halve the pace and wait, longer with each attempt (full jitter). */
  async throttled(attempt: number): Promise<void> {
    this.rate = Math.max(this.unitsPerSecond / 16, this.rate / 2);
    await sleep(Math.random() * Math.min(5000, 50 * 2 ** attempt));
  }

  /** A write went through: win back a hundredth of the ceiling. */
  succeeded(): void {
    if (this.rate < this.unitsPerSecond)
      this.rate = Math.min(this.unitsPerSecond, this.rate + this.unitsPerSecond / 100);
  }

  /** The pace now, in units per second. */
  get pace(): number {
    return this.rate;
  }

  private burst(): number {
    return this.rate / 10;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
