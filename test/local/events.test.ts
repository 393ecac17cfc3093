import { describe, expect, it } from 'vitest';
import { matchesPopulationRule, matchesProposalRule, toObjectCreatedEvent } from '#local/events.ts';

const record = (key: string, eventName = 'ObjectCreated:Put') => ({
  eventName,
  eventTime: '2026-11-28T12:00:00.000Z',
  s3: { bucket: { name: 'dtks-proposals' }, object: { key, size: 10, eTag: 'abc', sequencer: '01' } },
});

describe('S3 notifications as EventBridge Object Created events', () => {
  it('builds the event shape the production rule delivers', () => {
    const event = toObjectCreatedEvent(record('proposals/3371/2026-11/usulan+november.csv'), 'ap-southeast-3');
    expect(event).toMatchObject({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      region: 'ap-southeast-3',
      resources: ['arn:aws:s3:::dtks-proposals'],
      detail: {
        bucket: { name: 'dtks-proposals' },
        object: { key: 'proposals/3371/2026-11/usulan november.csv', size: 10, etag: 'abc' },
        reason: 'PutObject',
      },
    });
  });

  it('ignores removals', () => {
    expect(toObjectCreatedEvent(record('proposals/a.csv', 'ObjectRemoved:Delete'), 'r')).toBeUndefined();
  });

  it('matches the proposal rule only under proposals/ of the proposals bucket', () => {
    const inside = toObjectCreatedEvent(record('proposals/3371/2026-11/a.csv'), 'r')!;
    const outside = toObjectCreatedEvent(record('reports/3371/a.csv'), 'r')!;
    expect(matchesProposalRule(inside, 'dtks-proposals')).toBe(true);
    expect(matchesProposalRule(inside, 'another-bucket')).toBe(false);
    expect(matchesProposalRule(outside, 'dtks-proposals')).toBe(false);
    const population = toObjectCreatedEvent(record('reference/population/3371.csv'), 'r')!;
    expect(matchesPopulationRule(population, 'dtks-proposals')).toBe(true);
    expect(matchesProposalRule(population, 'dtks-proposals')).toBe(false);
  });
});
