/**
 * Compact keys for the in-memory indexes of a check, which must hold millions of entries in well
 * under 1 GiB: a number key costs a fraction of a string key in a V8 Map.
 */

/**
 * A 16-digit identifier (NIK, No. KK) as a safe integer, injectively: identifiers below 9·10^15 are
 * their own value; those starting with 9 (Papua provinces 91–96) drop the 9 and go negative. Any
 * other string is returned as it is, so a malformed identifier still works as a Map key.
 */
export function identifierKey(id: string): number | string {
  if (id.length !== 16) return id;
  // Two 8-digit halves from char codes: no slicing or number parsing on the hot path.
  let high = 0;
  let low = 0;
  for (let i = 0; i < 8; i++) {
    const a = id.charCodeAt(i) - 48;
    const b = id.charCodeAt(i + 8) - 48;
    if (a < 0 || a > 9 || b < 0 || b > 9) return id;
    high = high * 10 + a;
    low = low * 10 + b;
  }
  return high >= 90_000_000 ? -((high - 90_000_000) * 1e8 + low) - 1 : high * 1e8 + low;
}

/**
 * A 53-bit hash of a string (two FNV-1a variants combined). Used for identity keys (normalised name,
 * birth date, village), where a collision can only add a POSSIBLE_DUPLICATE_PERSON warning: with 2M keys
 * its chance is about 2·10^-4 per file, against the hundreds of megabytes the full strings would hold.
 */
export function hash53(text: string): number {
  hashing[0] = 0x811c9dc5;
  hashing[1] = 0x01000193 ^ text.length;
  absorb(text);
  return digest();
}

/**
 * hash53 of `first|second|third` without building it: a key concatenated a million times (the identity key of
 * each person of a master extract) is a rope V8 flattens each time. Same steps, same value.
 */
export function hash53Joined(first: string, second: string, third: string): number {
  hashing[0] = 0x811c9dc5;
  hashing[1] = 0x01000193 ^ (first.length + second.length + third.length + 2);
  absorb(first);
  absorb('|');
  absorb(second);
  absorb('|');
  absorb(third);
  return digest();
}

/** The two halves of the hash being computed (hash53's state between absorb and digest). */
const hashing = new Int32Array(2);

function absorb(text: string): void {
  let h1 = hashing[0]!;
  let h2 = hashing[1]!;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  hashing[0] = h1;
  hashing[1] = h2;
}

function digest(): number {
  let h1 = hashing[0]!;
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 16;
  return (h1 >>> 0) * 0x200000 + ((hashing[1]! >>> 0) & 0x1fffff);
}

/**
 * A copy of a string that does not keep its source alive. Strings cut from a large decoded chunk are
 * V8 "sliced strings" that pin the whole chunk in memory; an index that keeps millions of them would
 * keep the whole file.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}
