/**
 * One regency's quality control: its active master persons streamed page by page (byRegency index)
 * against the current registry, each page's NIKs read in one batch; this month's findings reconciled with
 * the regency's tracking list (core/quality-control.ts); the moved families' tasks and notices; and the
 * list written for the Dinas Sosial and the full tier of the analyst export. Only the findings are held in
 * memory (a few per cent of the persons), never the regency's master.
 */
import { formatCsvRow } from '#core/csv.ts';
import {
  countFinding,
  emptyCounts,
  type Finding,
  INCOMING,
  MovedFamilies,
  movedFamilyDetail,
  type QualityControlCounts,
  type RegistryRecord,
  type ScreenedPerson,
  screenPerson,
  TRACKING_LIST_COLUMNS,
  type TrackingListLine,
  type TrackingOutcome,
  TrackingReconciler,
  type TrackingState,
  trackingKey,
  trackingListCells,
} from '#core/quality-control.ts';
import type { MasterRecord } from '#core/stipulation.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { type FindingEntry, newTaskIds, type TaskEntry, type TrackingRepository } from '#shared/tracking-repository.ts';

/** Writes in flight per page: enough to hide latency, few enough not to throttle the proposals table. */
const WRITE_CONCURRENCY = 16;
const BOM = '\uFEFF';

export interface ScreeningPorts {
  /** The regency's active master persons, a page at a time. */
  persons(regency: string): AsyncIterable<MasterRecord[]>;
  /** The registry persons of these NIKs (absent: unknown to the registry). */
  registry(niks: readonly string[]): Promise<Map<string, RegistryRecord>>;
  /** Master records (active or not) by NIK: where an incoming family stands now. */
  masterRecords(niks: readonly string[]): Promise<Map<string, MasterRecord>>;
  tracking: Pick<TrackingRepository, 'loadForScreening' | 'putFinding' | 'updateFinding' | 'createTask' | 'updateTask'>;
}

export interface ScreeningResult {
  counts: QualityControlCounts;
  /** The tracking list's text (CSV with BOM, TRACKING_LIST_COLUMNS). */
  csv: string;
  lines: number;
}

export async function screenRegency(ports: ScreeningPorts, period: string, regency: string): Promise<ScreeningResult> {
  const tracking = await ports.tracking.loadForScreening(regency, period);
  const findings = new TrackingReconciler(period, tracking.findings);
  const moved = new MovedFamilies(regency);
  const counts = emptyCounts();
  const lines: TrackingListLine[] = [];
  /** The moved persons' lines, to name their family's task once the families are known. */
  const movedLines = new Map<string, TrackingListLine>();

  const record = (outcome: TrackingOutcome<FindingEntry>, writes: (() => Promise<void>)[]) => {
    const { entry, state, write } = outcome;
    if (write === 'CREATE') writes.push(() => ports.tracking.putFinding(entry));
    else if (write) writes.push(() => ports.tracking.updateFinding(entry));
    countFinding(counts, entry.kind, state);
    const line = lineOf(entry, state);
    lines.push(line);
    if (entry.kind === 'PINDAH_DOMISILI') movedLines.set(entry.nik, line);
  };

  // The next page's Query runs while this page's registry is read and screened.
  const pages = ports.persons(regency)[Symbol.asyncIterator]();
  let next = pages.next();
  next.catch(() => undefined);
  for (;;) {
    const { value: page, done } = await next;
    if (done) break;
    next = pages.next();
    // Awaited on the next turn; a failure of this page first must not leave it unhandled.
    next.catch(() => undefined);
    const registry = await ports.registry(page.map((person) => person.nik));
    const writes: (() => Promise<void>)[] = [];
    for (const master of page) {
      counts.screened++;
      // Only what the rules read: the master record carries some twenty fields more.
      const { nik, noKk, nama, kodeDesa } = master;
      const person: ScreenedPerson = { nik, noKk, nama, kodeDesa, regency };
      for (const finding of screenPerson(person, registry.get(person.nik))) {
        moved.add(person, finding);
        record(
          findings.observe(trackingKey(person.nik, finding.kind), finding.detail, (sincePeriod) =>
            findingEntry(person, finding, sincePeriod),
          ),
          writes,
        );
      }
    }
    await forEachConcurrently(writes, WRITE_CONCURRENCY, (write) => write());
  }
  const resolvedWrites: (() => Promise<void>)[] = [];
  for (const outcome of findings.unseen()) record(outcome, resolvedWrites);
  await forEachConcurrently(resolvedWrites, WRITE_CONCURRENCY, (write) => write());

  await trackMovedFamilies(ports, period, regency, moved, tracking.tasks, counts, movedLines);
  lines.push(...(await trackIncomingFamilies(ports, period, regency, tracking.notices, counts)));

  lines.sort((a, b) => a.nik.localeCompare(b.nik) || a.finding.localeCompare(b.finding));
  let csv = BOM + formatCsvRow(TRACKING_LIST_COLUMNS);
  for (const line of lines) csv += formatCsvRow(trackingListCells(line), { neutraliseFormulas: true });
  return { counts, csv, lines: lines.length };
}

function findingEntry(person: ScreenedPerson, finding: Finding, sincePeriod: string): FindingEntry {
  return {
    key: trackingKey(person.nik, finding.kind),
    status: 'OPEN',
    sincePeriod,
    detail: finding.detail,
    regency: person.regency,
    kind: finding.kind,
    nik: person.nik,
    noKk: person.noKk,
    nama: person.nama,
    ...(finding.destinationRegency ? { destinationRegency: finding.destinationRegency } : {}),
  };
}

function lineOf(entry: FindingEntry, state: TrackingState): TrackingListLine {
  return {
    nik: entry.nik,
    noKk: entry.noKk,
    nama: entry.nama,
    finding: entry.kind,
    detail: entry.detail,
    sincePeriod: entry.sincePeriod,
    state,
    relatedRegency: entry.destinationRegency ?? '',
    taskId: entry.taskId ?? '',
  };
}

/**
 * Each moved family: the origin's task and the destination's notice, created together (the task first, so
 * that a rerun after a crash between the two finds the task and creates the notice with its id), updated
 * when the members change, and the task resolved when the family is no longer found here. The notice is
 * resolved by the destination's own screening, once the family is placed (trackIncomingFamilies).
 */
async function trackMovedFamilies(
  ports: ScreeningPorts,
  period: string,
  regency: string,
  moved: MovedFamilies,
  previous: Map<string, TaskEntry>,
  counts: QualityControlCounts,
  movedLines: Map<string, TrackingListLine>,
): Promise<void> {
  const tasks = new TrackingReconciler(period, previous);
  const writes: (() => Promise<void>)[] = [];
  for (const [key, family] of moved.entries()) {
    const detail = movedFamilyDetail(family);
    const { entry, write } = tasks.observe(key, detail, (sincePeriod) => {
      const ids = newTaskIds(regency, family.destinationRegency);
      return {
        ...family,
        key,
        detail,
        sincePeriod,
        status: 'OPEN',
        id: ids.task,
        role: 'ORIGIN',
        regency,
        pairedId: ids.notice,
      };
    });
    const task = { ...entry, members: family.members };
    const notice: TaskEntry = {
      ...task,
      id: task.pairedId,
      role: 'DESTINATION',
      regency: family.destinationRegency,
      pairedId: task.id,
    };
    if (write === 'CREATE') {
      writes.push(async () => {
        await ports.tracking.createTask(task);
        await ports.tracking.createTask(notice);
      });
    } else if (write === 'UPDATE') {
      writes.push(async () => {
        await ports.tracking.updateTask(task);
        await ports.tracking.updateTask(notice);
      });
    } else {
      // A rerun after a crash between the two creations: the notice is created if still missing.
      writes.push(() => ports.tracking.createTask(notice));
    }
    counts.movedFamilies++;
    for (const member of family.members) {
      const line = movedLines.get(member.nik);
      if (line) line.taskId = task.id;
    }
  }
  for (const { entry, write } of tasks.unseen()) {
    if (write) writes.push(() => ports.tracking.updateTask(entry));
  }
  await forEachConcurrently(writes, WRITE_CONCURRENCY, (write) => write());
}

/**
 * The families that moved here from another regency (notices of their origin's screening): resolved once
 * every member is placed — active in this regency's master, or no longer living here by the registry
 * (moved on, died, or the registry corrected) — and listed until then, so that a family removed at its
 * origin is not lost between two regencies.
 */
async function trackIncomingFamilies(
  ports: ScreeningPorts,
  period: string,
  regency: string,
  notices: Map<string, TaskEntry>,
  counts: QualityControlCounts,
): Promise<TrackingListLine[]> {
  const open = [...notices.values()];
  const niks = open.flatMap((notice) => notice.members.map((member) => member.nik));
  const [master, registry] = niks.length
    ? await Promise.all([ports.masterRecords(niks), ports.registry(niks)])
    : [new Map<string, MasterRecord>(), new Map<string, RegistryRecord>()];
  const placed = (nik: string) => {
    const record = master.get(nik);
    if (record?.status === 'ACTIVE' && record.regency === regency) return true;
    const now = registry.get(nik);
    return !now || now.statusHidup === 'MENINGGAL' || now.kodeDesa.slice(0, 4) !== regency;
  };
  const lines: TrackingListLine[] = [];
  const writes: (() => Promise<void>)[] = [];
  for (const notice of open) {
    let state: TrackingState;
    if (notice.status === 'RESOLVED') state = 'SELESAI';
    else if (notice.members.every((member) => placed(member.nik))) {
      state = 'SELESAI';
      const resolved: TaskEntry = { ...notice, status: 'RESOLVED', resolvedPeriod: period };
      writes.push(() => ports.tracking.updateTask(resolved));
    } else {
      state = notice.sincePeriod === period ? 'BARU' : 'MASIH_TERBUKA';
      counts.incomingFamilies++;
    }
    for (const member of notice.members) {
      lines.push({
        nik: member.nik,
        noKk: notice.noKk,
        nama: member.nama,
        finding: INCOMING,
        detail: member.kodeDesa,
        sincePeriod: notice.sincePeriod,
        state,
        relatedRegency: notice.originRegency,
        taskId: notice.id,
      });
    }
  }
  await forEachConcurrently(writes, WRITE_CONCURRENCY, (write) => write());
  return lines;
}
