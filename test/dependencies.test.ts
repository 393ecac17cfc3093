/**
 * Every runtime dependency of package.json is used by the source: a package nothing imports is still
 * installed, audited and updated, and in a Lambda bundle it would only be dead weight or a surprise.
 * "Used" means a module specifier naming the package (or a subpath of it) in the source outside test/:
 * an import, import(), require() or a resolve() of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SOURCE_FOLDERS = ['core', 'adapters', 'synthetic', 'functions', 'local', 'cli', 'infra', 'bench', 'bin', 'web'];

function sourceFiles(): string[] {
  const files = readdirSync(ROOT)
    .filter((file) => /\.(ts|js)$/.test(file))
    .map((file) => join(ROOT, file));
  for (const folder of SOURCE_FOLDERS) {
    for (const file of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (/\.(ts|tsx|js|mjs)$/.test(file)) files.push(join(ROOT, folder, file));
    }
  }
  return files;
}

/** The packages the source names in a module specifier: `@scope/name` or `name`, without the subpath. */
function packagesNamed(text: string): Set<string> {
  const named = new Set<string>();
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bresolve\s*\(\s*)'([^'./#][^']*)'/g;
  for (const [, name = ''] of text.matchAll(specifier)) {
    if (name.startsWith('node:')) continue;
    const parts = name.split('/');
    named.add(name.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? name));
  }
  return named;
}

describe('package.json dependencies', () => {
  it('names only packages the source imports', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const used = new Set<string>();
    for (const file of sourceFiles()) for (const name of packagesNamed(readFileSync(file, 'utf8'))) used.add(name);
    expect(Object.keys(manifest.dependencies).filter((name) => !used.has(name))).toEqual([]);
  });

  it('finds the imports it looks for', () => {
    expect([...packagesNamed("import { z } from 'zod';\nimport('@scope/pkg/sub');")]).toEqual(['zod', '@scope/pkg']);
  });
});
