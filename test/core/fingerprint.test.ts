/**
 * hash53 (core/fingerprint.ts): the identity hash the engine, the extract loaders and the synthetic generator
 * must agree on, so its values are pinned; hash53Joined is hash53 of the joined key without building it.
 */
import { describe, expect, it } from 'vitest';
import { hash53, hash53Joined } from '#core/fingerprint.ts';

const KEYS: [string, string, string, number][] = [
  ['BUDI SANTOSO', '1985-07-17', '3371011001', 2865955671977653],
  ['JOSÉ ÅSA', '2000-02-29', '3371011001', 8898355514011763],
  ['ꦱꦶꦠꦶ', '1990-01-01', '3374010001', 6691651670149532],
];

describe('hash53', () => {
  it('gives the values every identity key has had', () => {
    expect(hash53('')).toBe(3562037548417427);
    for (const [name, birth, village, value] of KEYS) expect(hash53(`${name}|${birth}|${village}`)).toBe(value);
  });

  it('hashes three parts joined by | as hash53 of the joined text', () => {
    for (const [name, birth, village, value] of KEYS) expect(hash53Joined(name, birth, village)).toBe(value);
    expect(hash53Joined('', '', '')).toBe(hash53('||'));
    expect(hash53Joined('a|b', 'c', '')).toBe(hash53('a|b|c|'));
  });
});
