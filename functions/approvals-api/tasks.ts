/** GET /tasks: the open approval tasks of a regency or province approver. */
import { SOURCE_NAMES } from '#core/source.ts';
import { taskScopeOf } from '#shared/approvals.ts';
import type { Principal } from '#shared/contracts.ts';
import { type Response, respond } from './http.ts';
import { tasks } from './stores.ts';

export async function listTasks(principal: Principal): Promise<Response> {
  const open = await tasks.listOpenTasks(taskScopeOf(principal));
  const listed = open.map((task) => ({ ...task, sourceName: SOURCE_NAMES[task.source].id }));
  return respond(200, { code: 'OK', message: `${open.length} tugas persetujuan menunggu`, tasks: listed });
}
