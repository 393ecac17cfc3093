/**
 * The local environment's ports, kept per data dir: a restarted `dtks local up` comes back on the
 * ports it had, so the endpoints in a developer's AWS CLI profile, scripts and browser tabs keep
 * working. The ports chosen are written to <dataDir>/ports.json; at the next start each one is used
 * again if it is free. A remembered port that another program holds now is replaced by a free one,
 * and the log says so; a port asked for explicitly (--s3-port …) that is taken is an error.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LocalPorts } from './environment.ts';

export const PORTS_FILE = 'ports.json';

const SERVICES: Record<keyof LocalPorts, { label: string; option: string }> = {
  dynamo: { label: 'DynamoDB', option: '--dynamodb-port' },
  s3: { label: 'S3', option: '--s3-port' },
  sfn: { label: 'Step Functions', option: '--sfn-port' },
  api: { label: 'approvals API', option: '--api-port' },
};

/** A port asked for explicitly is held by another program. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';

  constructor(
    readonly service: keyof LocalPorts,
    readonly port: number,
  ) {
    super(
      `port ${port} for ${SERVICES[service].label} (${SERVICES[service].option}) is taken by another program: stop it, or choose another port`,
    );
  }

  messageIn(lang: 'id' | 'en'): string {
    if (lang === 'en') return this.message;
    const { label, option } = SERVICES[this.service];
    return `port ${this.port} untuk ${label} (${option}) sedang dipakai program lain: hentikan program itu, atau pilih port lain`;
  }
}

export function readPorts(dataDir: string): Partial<LocalPorts> {
  const path = join(dataDir, PORTS_FILE);
  if (!existsSync(path)) return {};
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const ports: Partial<LocalPorts> = {};
    for (const name of Object.keys(SERVICES) as (keyof LocalPorts)[]) {
      const port = saved[name];
      if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65_536) ports[name] = port;
    }
    return ports;
  } catch {
    return {}; // a damaged file only costs the ports of last time
  }
}

export function writePorts(dataDir: string, ports: LocalPorts): void {
  const path = join(dataDir, PORTS_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(ports, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Whether nothing listens on the port of 127.0.0.1 now (the servers bind it a moment later). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The port each service should listen on: the one asked for, else the one of last time if it is
 * free, else 0 (a free port). The caller writes the ports it got with writePorts.
 */
export async function choosePorts(
  dataDir: string,
  requested: Partial<LocalPorts>,
  log: (message: string) => void,
): Promise<LocalPorts> {
  const saved = readPorts(dataDir);
  const chosen: LocalPorts = { dynamo: 0, s3: 0, sfn: 0, api: 0 };
  for (const name of Object.keys(SERVICES) as (keyof LocalPorts)[]) {
    const asked = requested[name];
    if (asked) {
      if (!(await isPortFree(asked))) throw new PortTakenError(name, asked);
      chosen[name] = asked;
      continue;
    }
    const previous = saved[name];
    if (previous === undefined) continue;
    if (await isPortFree(previous)) chosen[name] = previous;
    else {
      log(
        `${SERVICES[name].label}: port ${previous}, which this data dir used last time, is taken by another program; ${SERVICES[name].label} listens on a new free port instead (printed below)`,
      );
    }
  }
  return chosen;
}
