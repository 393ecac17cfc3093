/**
 * The additional checksums S3 verifies on upload (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1,
 * -sha256), each the base64 of the big-endian digest. SDK v3 (≥ 3.729) and recent AWS CLIs send a
 * CRC32 with every upload by default, in a header or in an aws-chunked trailer.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  update(chunk: Uint8Array): void;
  /** base64 of the digest, as S3 writes it. */
  digest(): string;
}

export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function checksumAlgorithmOf(header: string): ChecksumAlgorithm | undefined {
  const name = header
    .toLowerCase()
    .replace(/^x-amz-checksum-/, '')
    .toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name) ? (name as ChecksumAlgorithm) : undefined;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), its table kept as two 32-bit halves so the
// per-byte loop stays in plain numbers.
const [CRC64_HI, CRC64_LO] = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0n; i < 256n; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    hi[Number(i)] = Number(c >> 32n);
    lo[Number(i)] = Number(c & 0xffffffffn);
  }
  return [hi, lo];
})();

function uint32(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32': {
      let value = 0;
      return {
        update(chunk) {
          value = crc32(chunk, value);
        },
        digest: () => uint32(value),
      };
    }
    case 'CRC32C': {
      let c = 0xffffffff;
      return {
        update(chunk) {
          for (let i = 0; i < chunk.length; i++) c = (CRC32C_TABLE[(c ^ (chunk[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
        },
        digest: () => uint32(c ^ 0xffffffff),
      };
    }
    case 'CRC64NVME': {
      let hi = 0xffffffff;
      let lo = 0xffffffff;
      return {
        update(chunk) {
          for (let i = 0; i < chunk.length; i++) {
            const index = (lo ^ (chunk[i] ?? 0)) & 0xff;
            lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_LO[index] ?? 0)) >>> 0;
            hi = ((hi >>> 8) ^ (CRC64_HI[index] ?? 0)) >>> 0;
          }
        },
        digest() {
          const out = Buffer.alloc(8);
          out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
          out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
          return out.toString('base64');
        },
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const hash: Hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('base64') };
    }
  }
}
