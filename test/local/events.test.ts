import { describe, expect, it } from 'vitest';
import {
  matchesPopulationDeltaRule,
  matchesPopulationRule,
  matchesProposalRule,
  toObjectCreatedEvent,
} from '#local/events.ts';
import type { ObjectCreated } from '#local/s3/server.ts';

const created = (key: string, versionId?: string): ObjectCreated => ({
  bucket: 'dtks-proposals',
  key,
  size: 10,
  etag: 'abc',
  ...(versionId ? { versionId } : {}),
  sequencer: '0000000000000001',
  reason: 'PutObject',
  time: '2026-11-28T12:00:00.000Z',
});

describe('S3 object-created reports as EventBridge Object Created events', () => {
  it('builds the event shape the production rule delivers, the key as stored (a + stays a +)', () => {
    const event = toObjectCreatedEvent(created('proposals/3371/2026-11/usulan+november ke 2.csv'), 'ap-southeast-3');
    expect(event).toMatchObject({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      region: 'ap-southeast-3',
      time: '2026-11-28T12:00:00.000Z',
      resources: ['arn:aws:s3:::dtks-proposals'],
      detail: {
        bucket: { name: 'dtks-proposals' },
        object: { key: 'proposals/3371/2026-11/usulan+november ke 2.csv', size: 10, etag: 'abc' },
        reason: 'PutObject',
      },
    });
    expect(event.detail.object).not.toHaveProperty('version-id');
  });

  it('carries the version id of an object in a versioned bucket', () => {
    expect(toObjectCreatedEvent(created('proposals/a.csv', 'v1'), 'r').detail.object['version-id']).toBe('v1');
  });

  it('matches the proposal rule only under proposals/, kemensos/ and mandiri/ of the proposals bucket', () => {
    for (const prefix of ['proposals/', 'kemensos/', 'mandiri/']) {
      const inside = toObjectCreatedEvent(created(`${prefix}3371/2026-11/a.csv`), 'r');
      expect(matchesProposalRule(inside, 'dtks-proposals'), prefix).toBe(true);
      expect(matchesProposalRule(inside, 'another-bucket'), prefix).toBe(false);
    }
    const outside = toObjectCreatedEvent(created('reports/3371/a.csv'), 'r');
    expect(matchesProposalRule(outside, 'dtks-proposals')).toBe(false);
    expect(matchesProposalRule(toObjectCreatedEvent(created('kemensos-3371/a.csv'), 'r'), 'dtks-proposals')).toBe(
      false,
    );
    const population = toObjectCreatedEvent(created('reference/population/3371.csv'), 'r');
    expect(matchesPopulationRule(population, 'dtks-proposals')).toBe(true);
    expect(matchesProposalRule(population, 'dtks-proposals')).toBe(false);
    expect(matchesPopulationDeltaRule(population, 'dtks-proposals')).toBe(false);
    const delta = toObjectCreatedEvent(created('reference/population-delta/2026-12-01-1.csv'), 'r');
    expect(matchesPopulationDeltaRule(delta, 'dtks-proposals')).toBe(true);
    expect(matchesPopulationDeltaRule(delta, 'another-bucket')).toBe(false);
    expect(matchesPopulationRule(delta, 'dtks-proposals')).toBe(false);
    const summary = toObjectCreatedEvent(created('reference/population-delta-summary/2026-12-01-1.csv.json'), 'r');
    expect(matchesPopulationDeltaRule(summary, 'dtks-proposals')).toBe(false);
    expect(matchesPopulationRule(summary, 'dtks-proposals')).toBe(false);
  });
});
