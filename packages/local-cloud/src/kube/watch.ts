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
  /** Current objects for a watch that starts "now" (no resourceVersion). */
  initial(): Promise<{ items: KubeObject[]; resourceVersion: number }>;
}

const POLL_MS = 1000;
const BOOKMARK_MS = 10_000;
const DEFAULT_TIMEOUT_S = 1800;

/**
 * Streams watch events as newline-delimited JSON. Events come from the
 * cluster's change log, so a watch resumes from any logged resourceVersion,
 * survives restarts of Berth and sees writes made by other Berth processes; an
 * in-process signal wakes it at once for local writes.
 */
export async function serveWatch(reply: FastifyReply, store: KubeObjectStore, o: WatchOptions): Promise<void> {
  let last: number;
  const initialEvents: Array<{ type: WatchEventType; object: KubeObject }> = [];
  if (o.resourceVersion === undefined || o.resourceVersion === '' || o.resourceVersion === '0') {
    const snapshot = await o.initial();
    last = snapshot.resourceVersion;
    for (const item of snapshot.items) initialEvents.push({ type: 'ADDED', object: item });
  } else {
    last = Number(o.resourceVersion);
    if (!Number.isInteger(last) || last < 0) throw gone(`invalid resourceVersion "${o.resourceVersion}"`);
    if (last < (await store.oldestResumable(o.clusterId))) {
      startStream(reply);
      writeEvent(reply, 'ERROR', gone(`too old resource version: ${last}`).toStatus());
      reply.raw.end();
      return;
    }
  }

  startStream(reply);
  for (const e of initialEvents) writeEvent(reply, e.type, o.present(e.object, e.object.metadata.resourceVersion ?? String(last)));

  let closed = false;
  let wake: (() => void) | undefined;
  const onChange = (change: { clusterId: string }) => {
    if (change.clusterId === o.clusterId) wake?.();
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
      const events: StoredEvent[] = await store.eventsAfter(o.clusterId, last);
      for (const e of events) {
        last = e.resourceVersion;
        if (e.resource.key === o.type.key && o.matches(e.namespace, e.object)) {
          writeEvent(reply, e.type, o.present(e.object, String(e.resourceVersion)));
        }
      }
      if (events.length > 0) continue;
      if (o.bookmarks && Date.now() - lastBookmark >= BOOKMARK_MS) {
        writeEvent(reply, 'BOOKMARK', { kind: o.type.kind, apiVersion: o.type.apiVersion, metadata: { resourceVersion: String(last) } });
        lastBookmark = Date.now();
      }
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

function startStream(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  reply.raw.flushHeaders();
}

function writeEvent(reply: FastifyReply, type: string, object: unknown): void {
  reply.raw.write(`${JSON.stringify({ type, object })}\n`);
}
