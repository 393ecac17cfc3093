/** GET /me: who the console is talking to, with the name of their area for its header. */
import { loadAreas } from '#core/area.ts';
import type { Principal } from '#shared/contracts.ts';
import { type Response, respond } from './http.ts';

export async function me(principal: Principal): Promise<Response> {
  const areas = loadAreas();
  const areaName =
    principal.area.length === 4
      ? areas.regencyName(principal.area)
      : principal.area.length === 2
        ? areas.provinceName(principal.area)
        : 'Indonesia';
  return respond(200, {
    code: 'OK',
    message: `Masuk sebagai ${principal.username}`,
    user: { username: principal.username, role: principal.role, area: principal.area, areaName: areaName ?? '' },
  });
}
