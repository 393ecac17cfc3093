/**
 * The layering of the source tree (README.md "Layout"): core/ is the domain, what a reader of the law
 * needs, and imports only itself and a few pure Node modules; adapters/ and synthetic/ build on core/
 * alone; nothing below the CLI imports the CLI. Read from the import lines, so a file-reading adapter
 * or a synthetic-world helper put back into core/ fails here, not in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sourcesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file))
    .sort();
}

/** Every module specifier of a file: static imports and re-exports, side-effect imports, import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*'([^']+)'/g)) {
    specifiers.push(match[1]!);
  }
  for (const match of text.matchAll(/(?:^|[\s;])import\s*'([^']+)'/g)) specifiers.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** The files of `folder` with the imports that break `allowed`, as `file: specifier` lines. */
function violations(folder: string, allowed: (specifier: string, file: string) => boolean): string[] {
  return sourcesUnder(folder).flatMap((file) =>
    importsOf(file)
      .filter((specifier) => !allowed(specifier, file))
      .map((specifier) => `${file}: ${specifier}`),
  );
}

const insideOwnFolder = (specifier: string, file: string, folder: string): boolean =>
  specifier.startsWith('.') && !relative(folder, join(file, '..', specifier)).startsWith('..');

/** Pure Node modules the domain may use: bytes and hashes, no I/O. */
const DOMAIN_NODE_MODULES = new Set(['node:buffer', 'node:crypto']);
/** The official area lists are reference data shipped in a package (idn-area-data): area.ts reads them. */
const AREA_LIST_MODULES = new Set(['node:fs', 'node:module', 'node:path', 'node:url']);

describe('layering', () => {
  it('core/ imports only core/ and pure Node modules (no files, threads, streams or packages)', () => {
    expect(
      violations('core', (specifier, file) => {
        if (insideOwnFolder(specifier, file, 'core') || specifier.startsWith('#core/')) return true;
        if (DOMAIN_NODE_MODULES.has(specifier)) return true;
        return file === join('core', 'area.ts') && AREA_LIST_MODULES.has(specifier);
      }),
    ).toEqual([]);
  });

  it('adapters/ and synthetic/ build on core/ alone, never on functions/, local/, cli/ or each other', () => {
    const above = /^#(shared|local|cli)\//;
    expect(
      violations('adapters', (specifier, file) => {
        if (specifier.startsWith('.')) return insideOwnFolder(specifier, file, 'adapters');
        return !above.test(specifier) && !specifier.startsWith('#synthetic/');
      }),
    ).toEqual([]);
    expect(
      violations('synthetic', (specifier, file) => {
        if (specifier.startsWith('.')) return insideOwnFolder(specifier, file, 'synthetic');
        return specifier.startsWith('#core/') || specifier.startsWith('node:');
      }),
    ).toEqual([]);
  });

  it('web/src talks to the API only: its own modules and Preact, nothing of the server or of Node', () => {
    const browserSources = readdirSync(join(ROOT, 'web', 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file))
      .map((file) => join('web', 'src', file));
    expect(browserSources.length).toBeGreaterThan(0);
    const offending = browserSources.flatMap((file) =>
      importsOf(file)
        .filter((specifier) =>
          specifier.startsWith('.')
            ? !insideOwnFolder(specifier, file, join('web', 'src'))
            : !/^preact(\/|$)/.test(specifier),
        )
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('reads the imports it checks: the integrity engine imports its own modules', () => {
    expect(importsOf(join('core', 'integrity.ts'))).toContain('./area.ts');
    expect(importsOf(join('adapters', 'extracts', 'loader.worker.ts'))).toEqual([
      'node:worker_threads',
      './check-worker.ts',
      './loader.ts',
    ]);
  });
});
