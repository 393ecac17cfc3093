/**
 * The web console in real Chromium against the local environment, one month's story told through the
 * browser (the steps share state and run in order): the operator uploads a proposal file and reads its
 * return report; the regency approver excludes a family picked in the table and approves; the other
 * regency's approver is refused with the API's message; the province approves; the ministry starts the
 * stipulation and sees the period stipulated; the analyst downloads the pseudonymised export. Every
 * page is checked with axe-core (no serious or critical violation) and photographed into
 * .artifacts/screenshots/<page>.png; the console runs under its strict CSP throughout and no violation
 * of it may be reported. Skipped only where Chromium is missing and CI is not set.
 */
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { type GenerateResult, writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';
import {
  type AxeViolation,
  axeViolations,
  hasChromium,
  launchBrowser,
  SCREENSHOTS,
  screenshot,
  type TestBrowser,
} from '../support/browser.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const PERIOD = '2026-11';
const CITY = '3371';
const OTHER = '3308';
const STEP = 60_000;
const PHONE = { width: 390, height: 844 };

let dataDir: string;
let environment: LocalEnvironment;
let client: DtksClient;
let browser: TestBrowser;
let world: GenerateResult;
let url: string;
let proposalId: string;
/** axe's findings per page, written beside the screenshots for the closing note. */
const axe: Record<string, AxeViolation[]> = {};

/** Photographs the page and checks it with axe-core: no serious or critical violation. */
async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const violations = await axeViolations(page);
  axe[name] = violations;
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  // Usable on a phone: at 390 px nothing but the tables' own scrolling regions is wider than the screen.
  const desk = page.viewportSize();
  if (desk && desk.width > PHONE.width) {
    await page.setViewportSize(PHONE);
    expect({ page: name, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({
      page: name,
      width: PHONE.width,
    });
    await page.setViewportSize(desk);
  }
}

/** Polls `condition` until it holds (or the step's time runs out). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + STEP;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A new tab signed in as `username` through the sign-in page's list of local users. */
async function signIn(username: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: new RegExp(`^${username}\\b`) }).click();
  await page.getByText(username, { exact: true }).first().waitFor();
  // Signed in means landed on the role's home page (`#/` is replaced by it), so a page the test opens next stays.
  await page.waitForURL((address) => address.hash.length > 2);
  return page;
}

describe.runIf(hasChromium() || process.env.CI === 'true')('the web console in Chromium', { timeout: 2 * STEP }, () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dtks-browser-'));
    environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: [CITY, OTHER] });
    client = new DtksClient(localTarget(dataDir, environment));
    url = `${environment.endpoints.approvalsUrl}/`;
    world = await writeWorld({
      regency: CITY,
      families: 12,
      // This seed's 53 rows include MOVED_DOMICILE and POSSIBLE_DUPLICATE_PERSON, the warnings an approver verifies.
      defectRate: 0.4,
      seed: 5,
      out: join(dataDir, 'world'),
      quiet: true,
    });
    await client.putObject(`reference/population/${CITY}.csv`, world.files.population.path);
    await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), '2026-10');
    await environment.settled();
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    if (Object.keys(axe).length > 0) writeFileSync(join(SCREENSHOTS, 'axe.json'), `${JSON.stringify(axe, null, 2)}\n`);
    await browser?.close();
    await environment?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lets the operator upload a file and read its return report', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Pilih pengguna lokal' }).waitFor();
    await checkPage(page, 'sign-in');
    // English on the switch, kept for the next page; back to Bahasa Indonesia for the rest of the story.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Pick a local user' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await checkPage(page, 'sign-in-en');
    await page.getByRole('button', { name: 'Bahasa Indonesia' }).click();
    await page.getByRole('heading', { name: 'Pilih pengguna lokal' }).waitFor();
    await page.getByRole('button', { name: /^operator-3371\b/ }).click();

    await page.getByRole('heading', { name: 'Unggah usulan' }).waitFor();
    await page.getByLabel('Periode').fill(PERIOD);
    await page.getByLabel('Berkas usulan (CSV atau XLSX)').setInputFiles(world.files.proposal.path);
    await checkPage(page, 'operator-upload');
    await page.getByRole('button', { name: 'Unggah', exact: true }).click();

    // The list refreshes itself until the checks have run.
    await page.getByRole('heading', { name: 'Usulan' }).waitFor();
    await page.locator('td .status', { hasText: 'Menunggu kabupaten/kota' }).waitFor({ timeout: STEP });
    await checkPage(page, 'operator-proposals');
    const [stored] = await client.proposalsOf(CITY);
    proposalId = stored!.proposalId;
    expect(stored!.key).toBe(`proposals/${CITY}/${PERIOD}/proposal.csv`);

    await page.getByRole('link', { name: 'proposal.csv' }).click();
    await page.getByRole('heading', { name: 'Jumlah per kode hasil' }).waitFor();
    const totals = page.getByRole('region', { name: 'Jumlah per kode hasil' });
    for (const [code, rows] of Object.entries(stored!.summary!.codes)) {
      await expect(totals.getByRole('row', { name: new RegExp(`^${code}\\b.* ${rows}$`) }).count()).resolves.toBe(1);
    }
    const table = page.getByRole('region', { name: 'Hasil pemeriksaan' });
    await page.getByText(`dari ${stored!.summary!.rows} baris`).waitFor();
    await page.getByLabel('Putusan').selectOption('DIKEMBALIKAN');
    await page.getByRole('button', { name: 'Saring' }).last().click();
    await page.getByText(`${stored!.summary!.returned} baris`, { exact: false }).first().waitFor();
    const verdicts = await table.locator('tbody tr td:nth-child(5)').allTextContents();
    expect(verdicts.length).toBeGreaterThan(0);
    expect(new Set(verdicts)).toEqual(new Set(['Dikembalikan']));
    await checkPage(page, 'operator-report');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Unduh laporan (CSV)' }).click();
    const report = await (await download).path();
    expect(readFileSync(report, 'utf8')).toContain('kode');

    await page.setViewportSize(PHONE);
    await checkPage(page, 'operator-report-phone');
    await page.close();
  });

  it('lets the regency approver exclude a family picked in the table and approve', async () => {
    const stored = (await client.proposal(proposalId))!;
    const page = await signIn(`regency-${CITY}`);
    await page.getByRole('heading', { name: 'Kotak masuk' }).waitFor();
    const task = page.getByRole('row', { name: new RegExp(proposalId) });
    await expect(task.locator('time').last().textContent()).resolves.toMatch(/\d+ hari \d+ jam/);
    await checkPage(page, 'approver-inbox');
    await task.getByRole('link').click();

    await page.getByRole('heading', { name: 'Keputusan' }).first().waitFor();
    // The warnings to verify are highlighted and tagged; the approver excludes the moved family.
    const rowsTable = page.getByRole('region', { name: 'Hasil pemeriksaan' });
    await rowsTable.locator('tbody tr').first().waitFor();
    await checkPage(page, 'approver-rows');
    for (const code of ['POSSIBLE_DUPLICATE_PERSON', 'MOVED_DOMICILE']) {
      await page.locator('select[name=code]').selectOption(code);
      await page.getByRole('button', { name: 'Saring' }).last().click();
      await page.getByText(new RegExp(`^1–\\d+ dari ${stored.summary!.codes[code]} baris$`)).waitFor();
      const flagged = await rowsTable.locator('tbody tr').all();
      expect(flagged.length).toBe(stored.summary!.codes[code]);
      for (const tagged of flagged) {
        expect(await tagged.getAttribute('class')).toContain('verify');
        await expect(tagged.getByText('Periksa', { exact: true }).count()).resolves.toBe(1);
      }
    }
    const row = rowsTable.locator('tbody tr', { hasText: 'MOVED_DOMICILE' }).first();
    await row.getByLabel('Kecualikan keluarga').waitFor();
    const noKk = (await row.locator('td').nth(2).textContent())!.trim();
    await row.getByLabel('Kecualikan keluarga').check();
    await page.getByLabel(new RegExp(`No. KK ${noKk}.*Alasan`)).fill('Keluarga pindah ke luar daerah, diverifikasi');
    await checkPage(page, 'approver-proposal');
    await page.getByRole('button', { name: 'Lanjutkan' }).click();
    await page.getByRole('heading', { name: 'Konfirmasi keputusan' }).waitFor();
    await checkPage(page, 'approver-confirm');
    await page.getByRole('button', { name: 'Kirim keputusan' }).click();
    await page.getByRole('status').filter({ hasText: 'Keputusan dicatat' }).waitFor();

    const { decisions } = await client.proposalWithEvents(proposalId);
    expect(decisions).toEqual([
      expect.objectContaining({
        decision: 'APPROVE_WITH_EXCLUSIONS',
        level: 'REGENCY',
        decidedBy: `regency-${CITY}`,
        exclusions: [{ kind: 'KK', id: noKk, reason: 'Keluarga pindah ke luar daerah, diverifikasi' }],
      }),
    ]);
    await client.waitForStatus(proposalId, ['AWAITING_PROVINCE'], STEP);
    await page.getByRole('listitem').filter({ hasText: 'DECISION' }).first().waitFor();
    await checkPage(page, 'approver-timeline');
    await page.close();
  });

  it("refuses the other regency's approver with the API's message", async () => {
    const answer = await client.api('GET', `/proposals/${proposalId}`, `regency-${OTHER}`);
    expect(answer.status).toBe(403);
    const page = await signIn(`regency-${OTHER}`);
    await page.goto(`${url}#/usulan/${proposalId}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(`${answer.body.message} (${answer.body.code})`);
    await expect(page.getByRole('heading', { name: 'Keputusan' }).count()).resolves.toBe(0);
    await checkPage(page, 'approver-refused');
    await page.close();
  });

  it('lets the province approve', async () => {
    const page = await signIn('province-33');
    await page
      .getByRole('row', { name: new RegExp(proposalId) })
      .getByRole('link')
      .click();
    await page.getByLabel('Setujui', { exact: true }).check();
    await page.getByRole('button', { name: 'Lanjutkan' }).click();
    await page.getByRole('button', { name: 'Kirim keputusan' }).click();
    await page.getByRole('status').filter({ hasText: 'Keputusan dicatat' }).waitFor();
    await client.waitForStatus(proposalId, ['AWAITING_STIPULATION'], STEP);
    await checkPage(page, 'province-decided');
    await page.close();
  });

  it('lets the ministry run the stipulation and see the period stipulated', async () => {
    const page = await signIn('ministry');
    await page.goto(`${url}#/papan?period=${PERIOD}`);
    await page.getByRole('link', { name: new RegExp(`^${CITY}`) }).waitFor();
    await checkPage(page, 'ministry-board');
    await page.getByRole('button', { name: 'Mulai penetapan' }).click();
    await page.getByRole('button', { name: 'Ya, mulai penetapan' }).click();
    await page.getByRole('status').filter({ hasText: 'Penetapan dimulai' }).waitFor();
    // The guard holds this month (its HAPUS rows are over 5% of a 12-family regency's active persons):
    // the ministry signs it off in the board's guard form, with a reason.
    await until(() => environment.runtime.listPendingTasks().some((t) => t.stateName === 'AwaitMinistrySignOff'));
    await page.getByLabel('Alasan').fill('Penonaktifan sesuai hasil musyawarah desa; diperiksa Pusdatin');
    await checkPage(page, 'ministry-guard');
    await page.getByRole('button', { name: 'Kirim', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'disetujui dan dilanjutkan' }).waitFor();
    // The board refreshes itself while the run is RUNNING; a failed run shows its failure in the row.
    const run = page.getByRole('region', { name: 'Penetapan periode ini' }).locator('tbody tr').first();
    await run.locator('span.status:not(.run-running)').waitFor({ timeout: STEP });
    expect(await run.textContent()).toContain('SUCCEEDED');
    expect((await client.waitForStatus(proposalId, ['STIPULATED'], STEP)).status).toBe('STIPULATED');
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Periode ini ditetapkan pada' }).waitFor();
    await page.getByRole('columnheader', { name: 'Ditetapkan' }).waitFor();
    // A stipulated month is never run again: the board offers no start for it (the API would answer 409).
    expect(await page.getByRole('button', { name: /penetapan/i }).count()).toBe(0);
    await checkPage(page, 'ministry-board-stipulated');

    await page.getByRole('link', { name: 'Periode ditetapkan' }).click();
    await page.getByRole('link', { name: PERIOD }).waitFor();
    await checkPage(page, 'ministry-periods');
    await page.getByRole('link', { name: PERIOD }).click();
    await page.getByRole('heading', { name: 'Berkas ekspor' }).waitFor();
    await checkPage(page, 'ministry-period');
    await page.close();
  });

  it('lets the analyst download the pseudonymised export, and names no other tier', async () => {
    const page = await signIn('analyst');
    await page.getByRole('link', { name: PERIOD }).click();
    const files = page.getByRole('region', { name: 'Berkas ekspor' });
    await files.locator('tbody tr').first().waitFor();
    const tiers = await files.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(tiers)).toEqual(new Set(['Pseudonim']));
    await checkPage(page, 'analyst-period');
    const download = page.waitForEvent('download');
    await files
      .locator('tbody tr')
      .first()
      .getByRole('button', { name: /^Unduh/ })
      .click();
    const saved = await (await download).path();
    expect(statSync(saved).size).toBeGreaterThan(0);
    expect(browser.cspViolations).toEqual([]);
    await page.close();
  });
});
