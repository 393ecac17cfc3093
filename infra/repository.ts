/**
 * Paths into this repository, built from this module's own location so that `cdk synth`, the tests and
 * any other working directory resolve the same files.
 */
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json and package-lock.json). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** An absolute path to a file of the repository, from a path relative to its root. */
export function repositoryPath(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}
