/**
 * GET /tasks: the open approval tasks of a regency or province approver, each with when it expires (the
 * proposal workflow's approval TimeoutSeconds after it opened), so the inbox can show the time left.
 */
import { SOURCE_NAMES } from '#core/source.ts';
import { taskScopeOf } from '#shared/approvals.ts';
import type { Principal } from '#shared/contracts.ts';
import { type Response, respond } from './http.ts';
import { config, tasks } from './stores.ts';

export async function listTasks(principal: Principal): Promise<Response> {
  const open = await tasks.listOpenTasks(taskScopeOf(principal));
  const listed = open.map((task) => ({
    ...task,
    sourceName: SOURCE_NAMES[task.source].id,
    expiresAt: new Date(Date.parse(task.createdAt) + config.approvalTimeoutSeconds * 1000).toISOString(),
  }));
  return respond(200, { code: 'OK', message: `${open.length} tugas persetujuan menunggu`, tasks: listed });
}
