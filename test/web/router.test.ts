/** The console's hash routes (web/src/router.ts): what a link's hash reads as, including one crafted to break it. */
import { describe, expect, it } from 'vitest';
import { href, parseHash } from '../../web/src/router.ts';

describe('hash routes', () => {
  it('reads back what href writes, slashes and all', () => {
    const route = parseHash(href(['usulan', '3371-2026-11/x y'], { code: 'NIK_NOT_FOUND' }));
    expect(route.parts).toEqual(['usulan', '3371-2026-11/x y']);
    expect(route.query.get('code')).toBe('NIK_NOT_FOUND');
  });

  it('reads a segment whose %-escape is broken as written instead of failing the whole page', () => {
    expect(parseHash('#/usulan/%E0%A4%A').parts).toEqual(['usulan', '%E0%A4%A']);
    expect(parseHash('#/%').parts).toEqual(['%']);
  });
});
