/**
 * A hash index from numbers (identifierKey of a NIK or No. KK, hash53 of an identity) to row numbers,
 * in two typed arrays with open addressing. A V8 Map boxes every key above 2^31 as a heap object;
 * with millions of keys that is hundreds of megabytes and seconds of garbage collection.
 */
const EMPTY = -1;

export class NumberIndex {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value of `key`, or -1. Keys must be finite numbers (not NaN). */
  get(key: number): number {
    const { keys, values, mask } = this;
    for (let slot = slotOf(key) & mask; ; slot = (slot + 1) & mask) {
      const value = values[slot]!;
      if (value === EMPTY || keys[slot] === key) return value;
    }
  }

  /** Sets `key` to `value` (≥ 0); returns the previous value or -1. */
  set(key: number, value: number): number {
    if ((this.count + 1) * 2 > this.values.length) this.grow();
    const { keys, values, mask } = this;
    for (let slot = slotOf(key) & mask; ; slot = (slot + 1) & mask) {
      const previous = values[slot]!;
      if (previous === EMPTY) {
        keys[slot] = key;
        values[slot] = value;
        this.count++;
        return EMPTY;
      }
      if (keys[slot] === key) {
        values[slot] = value;
        return previous;
      }
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2).fill(EMPTY);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== EMPTY) this.set(keys[i]!, values[i]!);
  }
}

/** Mixes both 32-bit halves of a safe integer (negative ones included) into a slot number. */
function slotOf(key: number): number {
  const low = key | 0;
  const high = (key / 4294967296) | 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
