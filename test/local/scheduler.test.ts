import { describe, expect, it } from 'vitest';
import { gatheringPeriod, registrationPeriod } from '#core/registration.ts';
import { closingPeriod, nextMandiriCutoff, nextStipulationRun } from '#local/scheduler.ts';

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

describe('the self-registration cut-off (Asia/Jakarta)', () => {
  it('runs at 00:00 WIB on the cut-off day, this month while it is ahead, else next month', () => {
    // 2026-11-24T17:00Z is 2026-11-25 00:00 WIB.
    expect(nextMandiriCutoff(new Date('2026-11-10T00:00:00Z'), 25).toISOString()).toBe('2026-11-24T17:00:00.000Z');
    expect(nextMandiriCutoff(new Date('2026-11-24T17:00:00Z'), 25).toISOString()).toBe('2026-12-24T17:00:00.000Z');
    expect(nextMandiriCutoff(new Date('2026-12-30T00:00:00Z'), 5).toISOString()).toBe('2027-01-04T17:00:00.000Z');
  });

  it('a registration before the cut-off joins its month, from the cut-off on the next; the run gathers the month just cut off', () => {
    expect(registrationPeriod(new Date('2026-11-24T16:59:59Z'))).toBe('2026-11');
    expect(registrationPeriod(new Date('2026-11-24T17:00:00Z'))).toBe('2026-12');
    expect(gatheringPeriod(new Date('2026-11-24T17:00:00Z'))).toBe('2026-11');
    expect(gatheringPeriod(new Date('2026-12-03T00:00:00Z'))).toBe('2026-11');
    expect(gatheringPeriod(new Date('2027-01-02T00:00:00Z'), 25)).toBe('2026-12');
  });
});
