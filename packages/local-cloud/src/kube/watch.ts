import type { FastifyReply } from 'fastify';
import type { KubeObject } from './kube-object.js';
import type { KubeObjectStore, StoredEvent, WatchEventType } from './object-store.js';
import type { ResourceType } from './resource-types.js';
import { gone } from './status.js';

export interface WatchOptions {
  clusterId: string;
  type: ResourceType;
  /** Which objects of the type the watch is about (namespace and selectors). */
  matches(namespace: string, object: KubeObject): boolean;
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  /** Turns an object into what each event carries (the object, or a one-row Table). */
  present(object: KubeObject, resourceVersion: string): unknown;
  /** Current objects of the type in the watch's scope, selectors not applied, and the resourceVersion they are consistent with. */
  current(): Promise<{ items: KubeObject[]; resourceVersion: number }>;
}

const POLL_MS = 1000;
const BOOKMARK_MS = 10_000;
const DEFAULT_TIMEOUT_S = 1800;

/** Per object of a watch: its content when it last matched the watch's selectors, or false if it did not. */
type Seen = Map<string, KubeObject | false>;

/**
 * Streams watch events as newline-delimited JSON. Events come from the
 * cluster's change log, so a watch resumes from any logged resourceVersion,
 * survives restarts of Berth and sees writes made by other Berth processes; an
 * in-process signal wakes it at once for local writes.
 */
export async function serveWatch(reply: FastifyReply, store: KubeObjectStore, o: WatchOptions): Promise<void> {
  const resuming = !(o.resourceVersion === undefined || o.resourceVersion === '' || o.resourceVersion === '0');
  let last = Number(o.resourceVersion);
  if (resuming) {
    if (!Number.isInteger(last) || last < 0) throw gone(`invalid resourceVersion "${o.resourceVersion}"`);
    if (last < (await store.oldestResumable(o.clusterId))) {
      startStream(reply);
      writeEvent(reply, 'ERROR', gone(`too old resource version: ${last}`).toStatus());
      reply.raw.end();
      return;
    }
  }
  const snapshot = await o.current();
  const seen: Seen = new Map();
  const initialEvents: KubeObject[] = [];
  for (const item of snapshot.items) {
    // Resuming, an object's current content is its content at the watch's resourceVersion only if it has not changed since.
    if (resuming && Number(item.metadata.resourceVersion) > last) continue;
    const matches = o.matches(item.metadata.namespace ?? '', item);
    seen.set(keyOf(item.metadata.namespace ?? '', item.metadata.name!), matches && item);
    if (!resuming && matches) initialEvents.push(item);
  }
  if (!resuming) last = snapshot.resourceVersion;

  startStream(reply);
  for (const item of initialEvents) writeEvent(reply, 'ADDED', o.present(item, item.metadata.resourceVersion ?? String(last)));

  let closed = false;
  let wake: (() => void) | undefined;
  // A write that lands while the log is being read finds no `wake` to call; it leaves `changed` so the loop reads again at once.
  let changed = false;
  const onChange = (change: { clusterId: string }) => {
    if (change.clusterId !== o.clusterId) return;
    changed = true;
    wake?.();
  };
  store.on('change', onChange);
  reply.raw.on('close', () => {
    closed = true;
    wake?.();
  });
  const deadline = Date.now() + (o.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  let lastBookmark = Date.now();
  try {
    while (!closed && Date.now() < deadline) {
      changed = false;
      const events: StoredEvent[] = await store.eventsAfter(o.clusterId, last);
      for (const e of events) {
        last = e.resourceVersion;
        const event = e.resource.key === o.type.key ? eventFor(seen, o, e) : undefined;
        if (event) writeEvent(reply, event.type, o.present(event.object, String(e.resourceVersion)));
      }
      if (events.length > 0) continue;
      if (o.bookmarks && Date.now() - lastBookmark >= BOOKMARK_MS) {
        writeEvent(reply, 'BOOKMARK', { kind: o.type.kind, apiVersion: o.type.apiVersion, metadata: { resourceVersion: String(last) } });
        lastBookmark = Date.now();
      }
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    store.off('change', onChange);
    if (!closed) reply.raw.end();
  }
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * What a watch with selectors sees of a logged change, as the API server sends it:
 * a change that takes an object out of the selectors is a DELETED (with its
 * last matching content), one that brings it in an ADDED.
 */
function eventFor(seen: Seen, o: WatchOptions, e: StoredEvent): { type: WatchEventType; object: KubeObject } | undefined {
  const key = keyOf(e.namespace, e.object.metadata.name!);
  const before = seen.get(key);
  const matches = o.matches(e.namespace, e.object);
  if (e.type === 'DELETED') {
    seen.delete(key);
    return matches ? { type: 'DELETED', object: e.object } : undefined;
  }
  seen.set(key, matches && e.object);
  if (before && !matches) return { type: 'DELETED', object: { ...before, metadata: { ...before.metadata, resourceVersion: String(e.resourceVersion) } } };
  if (!matches) return undefined;
  return { type: e.type === 'MODIFIED' && before === false ? 'ADDED' : e.type, object: e.object };
}

function startStream(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  reply.raw.flushHeaders();
}

function writeEvent(reply: FastifyReply, type: string, object: unknown): void {
  reply.raw.write(`${JSON.stringify({ type, object })}\n`);
}
