/**
 * Real Chromium for the console's browser suite: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser is ever downloaded), headless, with a fresh profile directory per run and nothing that
 * reaches the network on its own (no QUIC, background networking, component updates or sync). axe-core
 * is evaluated from node_modules into the page through the DevTools protocol, so the page's strict CSP
 * stays on while it is checked; a CSP violation the page reports is collected and failed on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DTKS_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the system Chromium runs here (the suite is skipped without it, unless CI is set). */
export function hasChromium(): boolean {
  return spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status === 0;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab (its own sessionStorage: a separate sign-in) that records the page's CSP violations. */
  newPage(): Promise<Page>;
  /** Content-Security-Policy violations any page reported. */
  cspViolations: string[];
  close(): Promise<void>;
}

export async function launchBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'dtks-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1366, height: 768 },
    acceptDownloads: true,
    locale: 'id-ID',
    timezoneId: 'Asia/Jakarta',
  });
  const cspViolations: string[] = [];
  return {
    context,
    cspViolations,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of the page as it stands (WCAG 2.1 A and AA rules and best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((node) => node.target.join(' ')),
    })))`) as Promise<AxeViolation[]>;
}

export const SCREENSHOTS = join(import.meta.dirname, '..', '..', '.artifacts', 'screenshots');

/** Writes .artifacts/screenshots/<name>.png (the whole page) and answers its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
