import type { PodSpec } from '../kube/controllers/pod-lifecycle.js';

/** `node`, `node:20-alpine`, `docker.io/library/node:22`, `node@sha256:...`: the official Node.js images. */
const NODE_IMAGE = /^((docker\.io\/)?library\/|docker\.io\/)?node([:@].*)?$/;

export interface RunnableContainer {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
}

/**
 * Whether the workload runtime can run a pod for real: every container is of a
 * Node.js image and its command starts with `node` (what this machine can run
 * without a container engine). Pods with init containers stay simulated.
 */
export function isRunnable(spec: PodSpec | undefined): boolean {
  const containers = (spec?.containers ?? []) as RunnableContainer[];
  if (containers.length === 0 || ((spec as { initContainers?: unknown[] })?.initContainers ?? []).length > 0) return false;
  return containers.every((c) => NODE_IMAGE.test(c.image ?? '') && c.command?.[0] === 'node');
}

/** Tags the official Node.js image has: versions (`20`, `20.18.1-alpine3.20`) and the named lines and variants. */
const NODE_TAG = /^(\d+(\.\d+){0,2}|latest|current|lts|alpine|slim|bookworm|bullseye|buster|trixie|iron|hydrogen|jod|gallium|krypton|argon)([.-][a-z0-9.]+)*$/;

/**
 * Why pulling a Node.js image would fail: a tag the official image does not have
 * (`node:does-not-exist`). The runtime uses this machine's node whatever the tag,
 * so it is what stands for a registry's "manifest unknown". Undefined when it would pull.
 */
export function imagePullError(image: string): string | undefined {
  const at = image.indexOf('@');
  if (at >= 0) return /^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1)) ? undefined : `invalid image reference "${image}"`;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return undefined;
  const tag = lastSegment.slice(colon + 1);
  return NODE_TAG.test(tag) ? undefined : `failed to pull image "${image}": manifest for ${image} not found: manifest unknown`;
}
