/**
 * Tamper-evident periods (issue 11): each period's snapshot manifest lists the SHA-256 of every file it
 * released and names the manifest of the period stipulated before it by the SHA-256 of its bytes — a hash
 * chain, the first period naming none. Whoever changes a file after the stipulation must change its
 * manifest to hide it, which changes that manifest's hash, which the next period's manifest (and the
 * period record, in another store) still names as it was. Pure rules: what a verification compares and how
 * a problem is said; cli/snapshot-verify.ts reads the objects.
 */
import { createHash } from 'node:crypto';

/** A manifest named by another: the period, its key and the SHA-256 of its bytes as written. */
export interface ManifestLink {
  period: string;
  key: string;
  sha256: string;
}

/**
 * The manifest's place in the chain. `revision` 0 is the stipulation itself. A numbered revision (1, 2, …,
 * where the ministry allows one: not built, a stipulated period stays immutable) would be a new manifest
 * that names in `supersedes` the manifest it replaces and in `previous` the head of the chain it joins, so
 * the original stays in the chain and nothing is rewritten.
 */
export interface ManifestChain {
  previous: ManifestLink | null;
  revision: number;
  supersedes: ManifestLink | null;
}

/** The chain entry of a stipulation's manifest, after `previous` (null for the first period). */
export function chainAfter(previous: ManifestLink | null): ManifestChain {
  return { previous, revision: 0, supersedes: null };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a verification found wrong, each naming the object. */
export type IntegrityProblem =
  | { kind: 'NOT_STIPULATED'; period: string }
  | { kind: 'MANIFEST_MISSING'; period: string; key: string }
  /** The manifest's bytes differ from the SHA-256 the period record keeps. */
  | { kind: 'MANIFEST_CHANGED'; period: string; key: string }
  | { kind: 'FILE_MISSING'; period: string; key: string }
  | { kind: 'FILE_CHANGED'; period: string; key: string }
  /** The manifest this one names is missing, or its bytes differ from the SHA-256 this one names. */
  | { kind: 'CHAIN_BROKEN'; period: string; previous: ManifestLink; missing: boolean }
  /** Written before manifests carried the chain: the files are checked, the link cannot be. */
  | { kind: 'NO_CHAIN'; period: string };

/** Problems that mean something was changed after the stipulation (NO_CHAIN only says what cannot be checked). */
export function isTampering(problem: IntegrityProblem): boolean {
  return problem.kind !== 'NO_CHAIN';
}

/** One file of a manifest as found: absent, or the SHA-256 of its bytes. */
export type Observed = { found: false } | { found: true; sha256: string };

/** The files of a manifest against what was found of each. */
export function fileProblems(
  period: string,
  files: readonly { key: string; sha256: string }[],
  observed: ReadonlyMap<string, Observed>,
): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  for (const file of files) {
    const found = observed.get(file.key) ?? { found: false };
    if (!found.found) problems.push({ kind: 'FILE_MISSING', period, key: file.key });
    else if (found.sha256 !== file.sha256) problems.push({ kind: 'FILE_CHANGED', period, key: file.key });
  }
  return problems;
}

/** The link to the previous manifest against what was found there. */
export function linkProblems(period: string, chain: ManifestChain | undefined, previous: Observed): IntegrityProblem[] {
  if (!chain) return [{ kind: 'NO_CHAIN', period }];
  if (!chain.previous) return [];
  if (!previous.found) return [{ kind: 'CHAIN_BROKEN', period, previous: chain.previous, missing: true }];
  if (previous.sha256 !== chain.previous.sha256) {
    return [{ kind: 'CHAIN_BROKEN', period, previous: chain.previous, missing: false }];
  }
  return [];
}

type Lang = 'id' | 'en';

/** A problem in the auditor's language (Bahasa Indonesia by default). */
export function describeProblem(problem: IntegrityProblem, lang: Lang = 'id'): string {
  const id = lang === 'id';
  switch (problem.kind) {
    case 'NOT_STIPULATED':
      return id
        ? `periode ${problem.period} belum ditetapkan (tidak ada catatan periode)`
        : `period ${problem.period} is not stipulated (no period record)`;
    case 'MANIFEST_MISSING':
      return id ? `manifes ${problem.key} hilang` : `manifest ${problem.key} is missing`;
    case 'MANIFEST_CHANGED':
      return id
        ? `manifes ${problem.key} diubah: SHA-256-nya berbeda dengan yang dicatat saat penetapan`
        : `manifest ${problem.key} was changed: its SHA-256 differs from the one recorded at the stipulation`;
    case 'FILE_MISSING':
      return id ? `berkas ${problem.key} hilang` : `file ${problem.key} is missing`;
    case 'FILE_CHANGED':
      return id
        ? `berkas ${problem.key} diubah: SHA-256-nya berbeda dengan yang dicatat manifes`
        : `file ${problem.key} was changed: its SHA-256 differs from the manifest's`;
    case 'CHAIN_BROKEN':
      if (problem.missing) {
        return id
          ? `rantai terputus: manifes periode sebelumnya ${problem.previous.key} (${problem.previous.period}) hilang`
          : `broken chain: the previous period's manifest ${problem.previous.key} (${problem.previous.period}) is missing`;
      }
      return id
        ? `rantai terputus: manifes periode sebelumnya ${problem.previous.key} (${problem.previous.period}) tidak sama dengan yang dicatat manifes ${problem.period}`
        : `broken chain: the previous period's manifest ${problem.previous.key} (${problem.previous.period}) differs from what the manifest of ${problem.period} records`;
    case 'NO_CHAIN':
      return id
        ? `manifes ${problem.period} dibuat sebelum ada rantai hash: berkasnya diperiksa, tautannya tidak`
        : `the manifest of ${problem.period} predates the hash chain: its files are checked, its link cannot be`;
  }
}
