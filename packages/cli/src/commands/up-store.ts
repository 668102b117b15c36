import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** The environment variable that may hold the store URL: unlike a command line, a process's environment is private to its user. */
export const STORE_ENV = 'BERTH_STORE';

/** `--store-file <path>`: the store URL is the file's content (one line; surrounding whitespace dropped). */
export function readStoreFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code;
    throw new InvalidArgumentError(`Cannot read the store URL from ${path}: ${why}.`);
  }
  const store = text.trim();
  if (!store || store.includes('\n')) {
    throw new InvalidArgumentError(`${path} must hold the store URL (a SQLite file path or a postgres://... URL) on one line.`);
  }
  return store;
}

/** Whether a store URL carries a password (in its user info or as a `password` parameter). */
function hasPassword(store: string): boolean {
  try {
    const url = new URL(store);
    return url.password !== '' || url.searchParams.has('password');
  } catch {
    return false;
  }
}

/**
 * The store `berth up` opens: `--store` or `--store-file` (commander refuses both), else `BERTH_STORE`, else the default;
 * with a warning when a password came in on the command line, which every user of the machine reads in the process list.
 */
export function storeOption(opts: { store?: string; storeFile?: string }, env: NodeJS.ProcessEnv): { store?: string; warning?: string } {
  if (opts.store !== undefined) {
    return {
      store: opts.store,
      warning: hasPassword(opts.store)
        ? `--store holds a password, which every user of this machine can read in the process list (ps). Put the URL in ${STORE_ENV}, or in a file only you can read with --store-file <path>.`
        : undefined,
    };
  }
  return { store: opts.storeFile ?? (env[STORE_ENV] || undefined) };
}
