import { KubeError } from '../status.js';

/**
 * Writes one reconcile pass makes before it lets the cluster's other work run;
 * the writes it made queue the next pass. A ReplicaSet scaled to thousands
 * converges in bounded steps instead of one long burst.
 */
export const BATCH = 500;

/** Lets the server's other work (requests, timers) run between writes: store calls on SQLite resolve without ever yielding. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Timestamps as the API server writes them: RFC 3339, whole seconds. */
export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A write that lost a race: the object changed or went meanwhile, and that change queued another reconcile. */
export async function unlessRaced<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof KubeError && (err.reason === 'Conflict' || err.code === 404)) return undefined;
    throw err;
  }
}

/** A create of what a repeated reconcile may already have made. */
export async function unlessExists(write: Promise<unknown>): Promise<void> {
  await write.catch((err) => {
    if (!(err instanceof KubeError && err.reason === 'AlreadyExists')) throw err;
  });
}

/** A delete of what may already be gone. */
export async function unlessGone(write: Promise<unknown>): Promise<void> {
  await write.catch((err) => {
    if (!(err instanceof KubeError && err.code === 404)) throw err;
  });
}
