/**
 * Builds the web console from source: one esbuild bundle of web/src (Preact, JSX) and its stylesheet,
 * with content-hashed names under assets/, and an index.html naming them. Nothing is committed: the
 * local approvals server builds it in memory at start (consoleFiles) and CDK writes it to a folder at
 * synth (buildConsole) for the bucket deployment. The page loads one script and one stylesheet from
 * its own origin and nothing inline, so it runs under `script-src 'self'; style-src 'self'`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const WEB = import.meta.dirname;
const ENTRY = join(WEB, 'src', 'main.tsx');

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function contentTypeOf(path: string): string {
  const extension = path.slice(path.lastIndexOf('.'));
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

function indexHtml(script: string, stylesheet: string | undefined): string {
  return [
    '<!doctype html>',
    '<html lang="id">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Konsol DTKS</title>',
    // No favicon request: the console fetches nothing it does not use.
    '<link rel="icon" href="data:,">',
    stylesheet ? `<link rel="stylesheet" href="/${stylesheet}">` : '',
    `<script type="module" src="/${script}"></script>`,
    '</head>',
    '<body><div id="app"></div></body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** The console's files keyed by their path under the site root (index.html, assets/app-<hash>.js, ...). */
export async function consoleFiles(options: { minify?: boolean } = {}): Promise<Map<string, ConsoleFile>> {
  const outdir = join(WEB, '.out');
  const result = await build({
    entryPoints: { app: ENTRY },
    bundle: true,
    write: false,
    outdir: join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files = new Map<string, ConsoleFile>();
  let script: string | undefined;
  let stylesheet: string | undefined;
  for (const file of result.outputFiles) {
    const path = relative(outdir, file.path).split('\\').join('/');
    files.set(path, { body: Buffer.from(file.contents), contentType: contentTypeOf(path) });
    if (basename(path).startsWith('app-') && path.endsWith('.js')) script = path;
    if (basename(path).startsWith('app-') && path.endsWith('.css')) stylesheet = path;
  }
  if (!script) throw new Error('web console build wrote no script');
  files.set('index.html', { body: Buffer.from(indexHtml(script, stylesheet)), contentType: contentTypeOf('.html') });
  return files;
}

/** Writes the console (index.html and assets/) to `outdir`, for a bucket deployment. */
export async function buildConsole(options: { outdir: string; minify?: boolean }): Promise<void> {
  const files = await consoleFiles({ minify: options.minify ?? true });
  for (const [path, file] of files) {
    const target = join(options.outdir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.body);
  }
}
