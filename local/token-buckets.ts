/**
 * A token bucket per client: `burst` requests at once, then `perSecond` more each second. The local
 * server's stand-in for API Gateway's throttling of the public self-registration routes. Buckets of
 * clients that have refilled are dropped, so the map stays as small as the clients of the last minutes.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `client`: 0 when granted, else the seconds until the next token. */
  take(client: string): number {
    const now = this.now();
    const previous = this.buckets.get(client);
    const tokens = previous
      ? Math.min(this.burst, previous.tokens + ((now - previous.at) / 1000) * this.perSecond)
      : this.burst;
    if (this.buckets.size > 10_000) this.forgetFull(now);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return (1 - tokens) / this.perSecond;
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    return 0;
  }

  private forgetFull(now: number): void {
    for (const [client, { tokens, at }] of this.buckets) {
      if (tokens + ((now - at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(client);
    }
  }
}
