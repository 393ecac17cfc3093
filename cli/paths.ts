/**
 * The files a command is given, checked before any work starts: an input must be a readable regular
 * file, an output must land in a folder that exists. Each refusal names the path and what it was
 * meant to be, in both languages (a folder given as the proposal is not "14 columns missing").
 */
import { closeSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, type Text } from './errors.ts';

/** What an input is, for the messages: e.g. { id: 'berkas usulan', en: 'proposal file' }. */
export type FileRole = Text;

export const PROPOSAL_FILE: FileRole = { id: 'berkas usulan', en: 'proposal file' };
export const POPULATION_EXTRACT: FileRole = { id: 'ekstrak penduduk', en: 'population extract' };
export const MASTER_EXTRACT: FileRole = { id: 'ekstrak DTKS', en: 'DTKS master extract' };

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

/** Refuses a path that is missing, a folder, not a regular file, or cannot be opened for reading. */
export function requireInputFile(path: string, role: FileRole): void {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    throw inputError(path, role, code(error), error);
  }
  if (stats.isDirectory()) {
    throw new CliError({
      id: `${role.id} ${path} adalah folder, bukan berkas`,
      en: `${role.en} ${path} is a folder, not a file`,
    });
  }
  if (!stats.isFile()) {
    throw new CliError({
      id: `${role.id} ${path} bukan berkas biasa (perangkat, pipa atau soket); berikan berkas CSV`,
      en: `${role.en} ${path} is not a regular file (a device, pipe or socket); give a CSV file`,
    });
  }
  try {
    closeSync(openSync(path, 'r'));
  } catch (error) {
    throw inputError(path, role, code(error), error);
  }
}

function inputError(path: string, role: FileRole, errno: string, cause: unknown): CliError {
  if (errno === 'ENOENT' || errno === 'ENOTDIR') {
    return new CliError({ id: `${role.id} ${path} tidak ditemukan`, en: `${role.en} ${path} not found` }, 2, {
      cause,
    });
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new CliError(
      {
        id: `${role.id} ${path} tidak dapat dibaca: izin ditolak`,
        en: `${role.en} ${path} cannot be read: permission denied`,
      },
      2,
      { cause },
    );
  }
  return new CliError(
    { id: `${role.id} ${path} tidak dapat dibaca (${errno})`, en: `${role.en} ${path} cannot be read (${errno})` },
    2,
    { cause },
  );
}

/**
 * Refuses an output file whose folder does not exist, a path that is itself a folder, or one that is
 * not a regular file: a report is written aside and renamed onto its name, which would replace a
 * device or pipe (`--out /dev/null` replaced the machine's /dev/null with a regular file).
 */
export function requireOutputFile(path: string, option = '--out'): void {
  const folder = dirname(resolve(path));
  const folderStats = statSync(folder, { throwIfNoEntry: false });
  if (!folderStats) {
    throw new CliError({
      id: `folder ${dirname(path)} untuk ${option} tidak ada; buat folder itu dulu atau pilih tempat lain`,
      en: `the folder ${dirname(path)} of ${option} does not exist; create it first or choose another place`,
    });
  }
  if (!folderStats.isDirectory()) {
    throw new CliError({
      id: `${dirname(path)} pada ${option} bukan folder`,
      en: `${dirname(path)} in ${option} is not a folder`,
    });
  }
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats?.isDirectory()) {
    throw new CliError({
      id: `${option} ${path} adalah folder; berikan nama berkas`,
      en: `${option} ${path} is a folder; give a file name`,
    });
  }
  if (stats && !stats.isFile()) {
    throw new CliError({
      id: `${option} ${path} bukan berkas biasa (perangkat, pipa atau soket); berikan nama berkas untuk laporan`,
      en: `${option} ${path} is not a regular file (a device, pipe or socket); give the name of a file for the report`,
    });
  }
}

/**
 * Refuses an output folder that is an existing file, or that cannot be created because a part of its
 * path is a file. `why` says what the folder is for, e.g. "generate writes four files into a folder".
 */
export function requireOutputFolder(path: string, why: Text, option = '--out'): void {
  let current = resolve(path);
  for (;;) {
    const stats = statSync(current, { throwIfNoEntry: false });
    if (stats) {
      if (stats.isDirectory()) return;
      const shown = current === resolve(path) ? path : current;
      throw new CliError({
        id: `${option} ${shown} adalah berkas; ${why.id}`,
        en: `${option} ${shown} is a file; ${why.en}`,
      });
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
