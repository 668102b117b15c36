import { lchown, mkdir, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { KubeObject } from '../kube/kube-object.js';

/** The in-cluster path where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A container's config cannot be made (a ConfigMap, Secret or key it needs is missing): the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

/** What a pod's files and environment are made from: its namespace's ConfigMaps and Secrets, read when needed. */
export interface PodSources {
  configMap(name: string): Promise<KubeObject | undefined>;
  secret(name: string): Promise<KubeObject | undefined>;
}

/** The service-account files of a pod: its token (bound to the pod, rewritten before it expires) and the CA of its cluster's API. */
export interface ServiceAccountFiles {
  token: string;
  caPem: string;
}

/**
 * A path inside the pod's folder, or a ContainerConfigError when the parts
 * lead out of it (an absolute part, `..`). Admission refuses such names
 * already; every path the kubelet writes or removes goes through this too.
 */
export function under(podDir: string, ...parts: string[]): string {
  const root = resolve(podDir);
  const path = resolve(root, ...parts);
  const rel = relative(root, path);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ContainerConfigError(`path ${JSON.stringify(parts.join('/'))} leads out of the pod's folder`);
  }
  return path;
}

/** A volume's folder, `<podDir>/volumes/<name>`: one level down, whatever the name holds. */
function volumeDir(podDir: string, name: string): string {
  const root = under(podDir, 'volumes');
  const dir = under(root, name);
  if (dirname(dir) !== root) throw new ContainerConfigError(`volume name ${JSON.stringify(name)} is not a folder name`);
  return dir;
}

/** Throws unless a folder the kubelet is about to write into really lies in the pod's folder (no link the pod made leads elsewhere). */
async function assertReallyUnder(podDir: string, dir: string): Promise<void> {
  const [root, real] = await Promise.all([realpath(podDir), realpath(dir)]);
  if (real !== root && !real.startsWith(`${root}${sep}`))
    throw new ContainerConfigError(`folder ${JSON.stringify(relative(podDir, dir))} leads out of the pod's folder`);
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

interface VolumeSource {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
  secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
  emptyDir?: object;
  projected?: { sources?: Array<{ configMap?: VolumeSource['configMap']; secret?: { name: string; items?: KeyToPath[]; optional?: boolean } }> };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
}

/** A file's name and content (bytes), as a volume lays it out. */
type Files = Map<string, Buffer>;

const text = (value: unknown) => Buffer.from(String(value), 'utf8');
const b64 = (value: unknown) => Buffer.from(String(value), 'base64');

/** The keys of a ConfigMap or Secret as files, all of them or the listed items. */
function filesOf(data: Map<string, Buffer>, items: KeyToPath[] | undefined, what: string): Files {
  if (!items) return data;
  const files: Files = new Map();
  for (const item of items) {
    const content = data.get(item.key);
    if (!content) throw new ContainerConfigError(`couldn't find key ${item.key} in ${what}`);
    files.set(item.path, content);
  }
  return files;
}

function configMapData(cm: KubeObject): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((cm.data as Record<string, string> | undefined) ?? {})) data.set(k, text(v));
  for (const [k, v] of Object.entries((cm.binaryData as Record<string, string> | undefined) ?? {})) data.set(k, b64(v));
  return data;
}

const secretData = (secret: KubeObject) => new Map(Object.entries((secret.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, b64(v)]));

async function configMapFiles(sources: PodSources, ref: NonNullable<VolumeSource['configMap']>): Promise<Files> {
  const cm = await sources.configMap(ref.name);
  if (!cm) {
    if (ref.optional) return new Map();
    throw new ContainerConfigError(`configmap "${ref.name}" not found`);
  }
  return filesOf(configMapData(cm), ref.items, `ConfigMap ${ref.name}`);
}

async function secretFiles(sources: PodSources, name: string, items: KeyToPath[] | undefined, optional: boolean | undefined): Promise<Files> {
  const secret = await sources.secret(name);
  if (!secret) {
    if (optional) return new Map();
    throw new ContainerConfigError(`secret "${name}" not found`);
  }
  return filesOf(secretData(secret), items, `Secret ${name}`);
}

/** The files of one volume. */
async function volumeFiles(volume: VolumeSource, sources: PodSources): Promise<Files> {
  if (volume.configMap) return configMapFiles(sources, volume.configMap);
  if (volume.secret) return secretFiles(sources, volume.secret.secretName, volume.secret.items, volume.secret.optional);
  if (volume.projected) {
    const files: Files = new Map();
    for (const source of volume.projected.sources ?? []) {
      const part = source.configMap
        ? await configMapFiles(sources, source.configMap)
        : source.secret
          ? await secretFiles(sources, source.secret.name, source.secret.items, source.secret.optional)
          : new Map<string, Buffer>();
      for (const [k, v] of part) files.set(k, v);
    }
    return files;
  }
  return new Map();
}

/**
 * Writes a volume's files into `<podDir>/<folder>`, each atomically (a reader sees the old or the new content,
 * never half), and removes files no longer in it. Every path is checked to lie in the pod's folder.
 */
async function writeVolume(podDir: string, dir: string, files: Files, mode: number, owner: number | undefined): Promise<void> {
  await makeFolder(dir, owner);
  await assertReallyUnder(podDir, dir);
  for (const [name, content] of files) {
    const path = under(dir, name);
    if (path === dir) throw new ContainerConfigError(`file name ${JSON.stringify(name)} names no file`);
    await makeFolder(dirname(path), owner);
    await assertReallyUnder(podDir, dirname(path));
    await writeFile(`${path}.tmp`, content, { mode });
    // The pod's before it is in place: a pod reading it as it is replaced never finds it unreadable.
    if (owner !== undefined) await lchown(`${path}.tmp`, owner, owner);
    await rename(`${path}.tmp`, path);
  }
  const wanted = new Set([...files.keys()].map((n) => posix.normalize(n).split('/')[0]));
  for (const entry of await readdir(dir)) if (!wanted.has(entry)) await rm(under(dir, entry), { recursive: true, force: true });
}

/** Makes a folder (and those leading to it), each given to `owner` (a sandboxed pod's user) before anything is put in it. */
export async function makeFolder(path: string, owner: number | undefined): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: 0o700 });
  if (owner === undefined || first === undefined) return;
  for (let folder = path; ; folder = dirname(folder)) {
    await lchown(folder, owner, owner);
    if (folder === first || folder === dirname(folder)) return;
  }
}

/**
 * A pod's volumes as folders under its private directory, `volumes/<name>`, and the service-account files;
 * written again whenever what they hold changes; `owner`, a sandboxed pod's user, owns what is written.
 */
export async function writePodVolumes(
  podDir: string,
  pod: KubeObject,
  sources: PodSources,
  serviceAccount: ServiceAccountFiles,
  owner: number | undefined,
): Promise<void> {
  const volumes = ((pod.spec as { volumes?: VolumeSource[] }).volumes ?? []) as VolumeSource[];
  for (const volume of volumes) {
    const mode = volume.configMap?.defaultMode ?? volume.secret?.defaultMode ?? 0o644;
    // Owner-readable whatever the mode: the process runs as Berth's user, and others must not read a Secret.
    const dir = volumeDir(podDir, volume.name);
    if (!volume.emptyDir) await writeVolume(podDir, dir, await volumeFiles(volume, sources), (mode & 0o700) | 0o400, owner);
    else await makeFolder(dir, owner);
  }
  await writeServiceAccountFiles(podDir, pod, serviceAccount, owner);
}

/** The `serviceaccount` folder (token, CA, namespace): with the volumes, and again whenever the token is renewed. */
export async function writeServiceAccountFiles(podDir: string, pod: KubeObject, serviceAccount: ServiceAccountFiles, owner: number | undefined): Promise<void> {
  const account = new Map([
    ['token', text(serviceAccount.token)],
    ['ca.crt', text(serviceAccount.caPem)],
    ['namespace', text(pod.metadata.namespace)],
  ]);
  await writeVolume(podDir, under(podDir, 'serviceaccount'), account, 0o400, owner);
}

/** Whether a pod's volumes read this ConfigMap or Secret. */
export function mountsSource(pod: KubeObject, kind: 'ConfigMap' | 'Secret', name: string): boolean {
  const volumes = ((pod.spec as { volumes?: VolumeSource[] }).volumes ?? []) as VolumeSource[];
  return volumes.some((v) =>
    kind === 'ConfigMap'
      ? v.configMap?.name === name || v.projected?.sources?.some((s) => s.configMap?.name === name)
      : v.secret?.secretName === name || v.projected?.sources?.some((s) => s.secret?.name === name),
  );
}

/**
 * Container paths mapped onto the pod's folders: each volume mount, and the
 * service-account mount. Longest first, so a mount inside another wins.
 */
export function pathMap(podDir: string, mounts: VolumeMount[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = mounts.map((m) => {
    const volume = volumeDir(podDir, m.name);
    return [posix.normalize(m.mountPath).replace(/\/$/, ''), m.subPath ? under(volume, m.subPath) : volume];
  });
  pairs.push([SERVICE_ACCOUNT_PATH, under(podDir, 'serviceaccount')]);
  return pairs.sort((a, b) => b[0].length - a[0].length);
}

/** A container path (or a `--flag=path`) with its mount replaced by the folder that holds it on this machine; other text unchanged. */
export function hostPath(map: Array<[string, string]>, value: string): string {
  const eq = value.startsWith('-') ? value.indexOf('=') : -1;
  const head = eq >= 0 ? value.slice(0, eq + 1) : '';
  const path = eq >= 0 ? value.slice(eq + 1) : value;
  for (const [mount, host] of map) {
    if (path === mount || path.startsWith(`${mount}/`)) return head + host + path.slice(mount.length);
  }
  return value;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

interface EnvFrom {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface ContainerEnvSpec {
  env?: EnvVar[];
  envFrom?: EnvFrom[];
}

/** `$(VAR)` references expanded from the variables defined before, as Kubernetes does; `$$` escapes. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? m)));
}

/** A container's environment from its `envFrom` and `env`, as the kubelet builds it. */
export async function containerEnv(
  pod: KubeObject,
  container: ContainerEnvSpec,
  sources: PodSources,
  fields: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const source = from.configMapRef ? await sources.configMap(ref.name) : await sources.secret(ref.name);
    if (!source) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${from.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    const data = from.configMapRef ? configMapData(source) : secretData(source);
    for (const [k, v] of data) env[`${from.prefix ?? ''}${k}`] = v.toString('utf8');
  }
  for (const v of container.env ?? []) {
    const from = v.valueFrom;
    if (!from) {
      env[v.name] = expand(v.value ?? '', env);
    } else if (from.fieldRef) {
      const value = fields[from.fieldRef.fieldPath];
      if (value !== undefined) env[v.name] = value;
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const source = from.configMapKeyRef ? await sources.configMap(ref.name) : await sources.secret(ref.name);
      const value = source && (from.configMapKeyRef ? configMapData(source) : secretData(source)).get(ref.key);
      if (value !== undefined) env[v.name] = value.toString('utf8');
      else if (!ref.optional) {
        throw new ContainerConfigError(
          source
            ? `couldn't find key ${ref.key} in ${from.configMapKeyRef ? 'ConfigMap' : 'Secret'} ${pod.metadata.namespace}/${ref.name}`
            : `${from.configMapKeyRef ? 'configmap' : 'secret'} "${ref.name}" not found`,
        );
      }
    }
  }
  return env;
}
