import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberIndex } from '#core/number-index.ts';

describe('NumberIndex', () => {
  it('answers -1 for a key it does not hold', () => {
    expect(new NumberIndex().get(42)).toBe(-1);
  });

  it('keeps the last value of a key and reports the previous one', () => {
    const index = new NumberIndex(4);
    expect(index.set(3371010105800001, 7)).toBe(-1);
    expect(index.set(3371010105800001, 9)).toBe(7);
    expect(index.get(3371010105800001)).toBe(9);
    expect(index.size).toBe(1);
  });

  it('agrees with a Map for any safe integers, negative ones included, across growth', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.maxSafeInteger().map((n) => n - Number.MAX_SAFE_INTEGER / 2),
            fc.nat(1e9),
          ),
          {
            maxLength: 2000,
          },
        ),
        (entries) => {
          const index = new NumberIndex(2);
          const map = new Map<number, number>();
          for (const [key, value] of entries) {
            index.set(key, value);
            map.set(key, value);
          }
          expect(index.size).toBe(map.size);
          for (const [key, value] of map) expect(index.get(key)).toBe(value);
          expect(index.get(0.5)).toBe(-1);
        },
      ),
      { numRuns: 50 },
    );
  });
});
