/**
 * The quality control's tracking lists (daftar pelacakan) on the approvals API:
 *  - GET /tracking?regency=3371: the regency's open findings and its moved families' tasks and notices;
 *  - GET /tracking/{taskId}: one moved family's task with its pair (the origin's task, the destination's notice);
 *  - POST /tracking/{taskId}/answer: the answer of the regency whose task it is (who, when, why recorded).
 * Who may: a regency's own operator and approver see its list; of a moved family, the origin and the
 * destination only (each sees both sides of the pair); the ministry reads every list and answers none; only
 * the regency approver of a side answers that side. A task another principal may not see is answered as
 * not found, so that its existence is not told.
 */
import { TASK_ANSWER_NAMES, TASK_ANSWERS, type TaskRole } from '#core/quality-control.ts';
import { documents } from '#shared/clients.ts';
import { type Principal, TRACKING_ANSWER_REQUEST, TRACKING_QUERY } from '#shared/contracts.ts';
import { ForbiddenError, TrackingTaskClosedError, TrackingTaskNotFoundError, ValidationError } from '#shared/errors.ts';
import { type TaskEntry, TrackingRepository } from '#shared/tracking-repository.ts';
import { type Event, parseBody, parseQuery, pathParameter, type Response, respond } from './http.ts';
import { config } from './stores.ts';

const tracking = new TrackingRepository(documents, config.proposalsTable);

/** The regency's own Dinas Sosial: its operator and its approver. */
function ofRegency(principal: Principal, regency: string): boolean {
  return (principal.role === 'region_operator' || principal.role === 'regency_approver') && principal.area === regency;
}

export async function listTracking(principal: Principal, event: Event): Promise<Response> {
  const { regency, resolved } = parseQuery(TRACKING_QUERY, event);
  if (principal.role !== 'ministry_operator' && !ofRegency(principal, regency)) {
    throw new ForbiddenError(`Anda tidak berwenang melihat daftar pelacakan kabupaten/kota ${regency}`);
  }
  const entries = await tracking.list(regency, { includeResolved: resolved === 'true' });
  const findings = entries.filter((entry) => !('role' in entry));
  const tasks = entries.filter((entry): entry is TaskEntry => 'role' in entry);
  return respond(200, {
    code: 'OK',
    message: `${findings.length} temuan dan ${tasks.length} keluarga pindah dalam daftar pelacakan ${regency}`,
    regency,
    findings,
    tasks,
  });
}

/** The task and its pair, for a principal of either side or the ministry; not found for anyone else. */
async function visiblePair(principal: Principal, taskId: string): Promise<{ task: TaskEntry; paired?: TaskEntry }> {
  const task = await tracking.getTask(taskId);
  if (!task) throw new TrackingTaskNotFoundError(taskId);
  const allowed =
    principal.role === 'ministry_operator' ||
    ofRegency(principal, task.originRegency) ||
    ofRegency(principal, task.destinationRegency);
  if (!allowed) throw new TrackingTaskNotFoundError(taskId);
  const paired = await tracking.getTask(task.pairedId);
  return paired ? { task, paired } : { task };
}

export async function viewTracking(principal: Principal, event: Event): Promise<Response> {
  const pair = await visiblePair(principal, pathParameter(event, 'taskId'));
  return respond(200, { code: 'OK', message: `Tugas pelacakan ${pair.task.id}`, ...pair });
}

export async function answerTracking(principal: Principal, event: Event): Promise<Response> {
  const { task } = await visiblePair(principal, pathParameter(event, 'taskId'));
  const body = parseBody(TRACKING_ANSWER_REQUEST, event);
  if (principal.role !== 'regency_approver' || principal.area !== task.regency) {
    throw new ForbiddenError(
      `Hanya pemberi persetujuan kabupaten/kota ${task.regency} yang menjawab tugas pelacakan ${task.id}`,
    );
  }
  const allowed: readonly string[] = TASK_ANSWERS[task.role satisfies TaskRole];
  if (!allowed.includes(body.answer)) {
    throw new ValidationError(`Jawaban tidak valid untuk tugas ini: pilih ${allowed.join(' atau ')}`, [
      `answer: harus ${allowed.join(' atau ')}`,
    ]);
  }
  const answer = {
    answer: body.answer,
    note: body.note,
    answeredBy: principal.username,
    answeredAt: new Date().toISOString(),
  };
  if (!(await tracking.answerTask(task.id, answer))) throw new TrackingTaskClosedError(task.id);
  return respond(200, {
    code: 'ANSWERED',
    message: `Jawaban dicatat: ${TASK_ANSWER_NAMES[body.answer].id}`,
    task: { ...task, answer },
  });
}
