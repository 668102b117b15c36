import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { resourceTypeByKey } from '../../resource-types.js';
import { badRequest, notFound } from '../../status.js';
import type { KubeCall } from '../kube-call.js';

const PODS = resourceTypeByKey('core/pods');

/** How often a followed log is read for what was appended. */
const FOLLOW_POLL_MS = 200;

/** Where the workload runtime keeps what a container wrote. */
export interface PodLogs {
  /** Undefined when the pod does not run here; `path` undefined when there is no such start (`previous` of a first start). */
  logFile(clusterId: string, namespace: string, name: string, container: string | undefined, previous: boolean): { path?: string } | undefined;
}

/** The last `lines` lines of a text (all of it when undefined). */
function tail(text: string, lines: number | undefined): string {
  if (lines === undefined) return text;
  if (lines <= 0) return '';
  const parts = text.split('\n');
  const trailing = parts[parts.length - 1] === '' ? parts.pop() : undefined;
  return parts.slice(-lines).join('\n') + (trailing !== undefined ? '\n' : '');
}

/** `GET pods/{name}/log`: what a running container wrote (`container`, `previous`, `tailLines`, `limitBytes`, `follow`). */
export async function podLog(call: KubeCall, logs: PodLogs | undefined, namespace: string, name: string): Promise<unknown> {
  const pod = await call.store.get(call.clusterId, PODS, namespace, name);
  if (!pod) throw notFound(PODS, name);
  const containers = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []).map((c) => c.name);
  const wanted = call.query.container;
  if (wanted === undefined && containers.length > 1) {
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  }
  if (wanted !== undefined && !containers.includes(wanted)) throw badRequest(`container ${wanted} is not valid for pod ${name}`);
  const previous = call.query.previous === 'true';
  const file = logs?.logFile(call.clusterId, namespace, name, wanted, previous);
  const container = wanted ?? containers[0];
  if (!file) {
    throw badRequest(
      `container "${container}" in pod "${name}" is simulated by Berth's local cloud: nothing runs, so it has no log (only Node.js images run for real, when \`berth up\` runs workloads)`,
    );
  }
  if (!file.path) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  const path = file.path;
  const tailLines = call.query.tailLines === undefined ? undefined : Number(call.query.tailLines);
  const limitBytes = call.query.limitBytes === undefined ? undefined : Number(call.query.limitBytes);
  const content = await readFrom(path, 0);
  let text = tail(content.text, tailLines);
  if (limitBytes !== undefined && limitBytes >= 0) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
  call.reply.type('text/plain');
  if (call.query.follow !== 'true' || previous) return call.reply.send(text);
  return call.reply.send(follow(text, path, content.size, () => logs!.logFile(call.clusterId, namespace, name, wanted, false)?.path === path));
}

async function readFrom(path: string, offset: number): Promise<{ text: string; size: number }> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return { text: '', size: offset };
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { text: '', size: offset };
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return { text: buffer.toString('utf8'), size };
  } finally {
    await handle.close();
  }
}

/** The log so far, then what is appended, until the container stops writing to this file (it restarted, or its pod stopped). */
function follow(first: string, path: string, offset: number, current: () => boolean): Readable {
  let position = offset;
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {},
    destroy(err, done) {
      clearTimeout(timer);
      done(err);
    },
  });
  stream.push(first);
  const poll = async () => {
    const live = current();
    const size = (await stat(path).catch(() => undefined))?.size ?? position;
    if (size > position) {
      const next = await readFrom(path, position);
      position = next.size;
      if (next.text) stream.push(next.text);
    }
    if (!live) stream.push(null);
    else if (!stream.destroyed) timer = setTimeout(() => void poll(), FOLLOW_POLL_MS);
  };
  timer = setTimeout(() => void poll(), FOLLOW_POLL_MS);
  return stream;
}
