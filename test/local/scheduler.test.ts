import { describe, expect, it } from 'vitest';
import { closingPeriod, nextStipulationRun } from '#local/scheduler.ts';

describe('the monthly stipulation schedule (Asia/Jakarta)', () => {
  it('runs at 01:00 WIB on the first day of the next month', () => {
    expect(nextStipulationRun(new Date('2026-11-28T12:00:00Z')).toISOString()).toBe('2026-11-30T18:00:00.000Z');
  });

  it('still runs this month when the first day 01:00 WIB is ahead', () => {
    // 2026-11-30T17:30Z is 2026-12-01 00:30 WIB.
    expect(nextStipulationRun(new Date('2026-11-30T17:30:00Z')).toISOString()).toBe('2026-11-30T18:00:00.000Z');
  });

  it('rolls over the year', () => {
    expect(nextStipulationRun(new Date('2026-12-15T00:00:00Z')).toISOString()).toBe('2026-12-31T18:00:00.000Z');
  });

  it('is strictly after the moment it is asked at', () => {
    const run = new Date('2026-11-30T18:00:00Z');
    expect(nextStipulationRun(run).toISOString()).toBe('2026-12-31T18:00:00.000Z');
  });

  it('closes the calendar month before the run, in Jakarta time', () => {
    expect(closingPeriod(new Date('2026-11-30T18:00:00Z'))).toBe('2026-11');
    expect(closingPeriod(new Date('2026-12-31T18:00:00Z'))).toBe('2026-12');
    expect(closingPeriod(new Date('2027-01-15T00:00:00Z'))).toBe('2026-12');
  });
});
