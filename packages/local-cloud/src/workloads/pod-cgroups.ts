import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-alive.js';

/** One container's cgroups: where its first process writes its pid, and how many times the kernel OOM-killed in it. */
export interface ContainerCgroup {
  /** The `cgroup.procs` files the container's launcher joins before it starts the sandbox. */
  procs: string[];
  oomKills(): Promise<number>;
  /** Removes it, if its processes are gone. */
  remove(): Promise<void>;
  exists(): Promise<boolean>;
}

interface Hierarchy {
  /** This process's own cgroup folder in the hierarchy; Berth's pods go below it. */
  base: string;
  version: 1 | 2;
}

/** The cgroup folders of this process, from /proc/self/cgroup: v1's memory and pids controllers, or the v2 unified tree. */
async function ownHierarchies(): Promise<{ memory?: Hierarchy; pids?: Hierarchy }> {
  const lines = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').filter(Boolean);
  const found: { memory?: Hierarchy; pids?: Hierarchy } = {};
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    for (const c of controllers.split(',')) {
      if (c === 'memory' || c === 'pids') found[c] = { base: join('/sys/fs/cgroup', c, path), version: 1 };
    }
  }
  if (found.memory) return found;
  const unified = lines.find((l) => l.startsWith('0::'));
  if (!unified) return found;
  const base = join('/sys/fs/cgroup', unified.slice(3));
  const available = (await readFile(join(base, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  if (!available.includes('memory')) return found;
  return { memory: { base, version: 2 }, ...(available.includes('pids') ? { pids: { base, version: 2 } } : {}) };
}

/** Removes the (empty) cgroups a `berth up` that was killed left behind: `berth-<pid>` of a process that is gone. */
async function removeAbandoned(base: string): Promise<void> {
  for (const entry of await readdir(base, { withFileTypes: true }).catch(() => [])) {
    const pid = /^berth-(\d+)$/.exec(entry.name)?.[1];
    if (!entry.isDirectory() || !pid || isAlive(Number(pid))) continue;
    const group = join(base, entry.name);
    for (const child of await readdir(group, { withFileTypes: true }).catch(() => []))
      if (child.isDirectory()) await rmdir(join(group, child.name)).catch(() => undefined);
    await rmdir(group).catch(() => undefined);
  }
}

const readCount = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

/**
 * Memory and process-count limits for real pods, as the kubelet sets them: a
 * cgroup per container below Berth's own (v1's memory and pids controllers, or
 * v2's), made by Berth as root. The kernel then OOM-kills a container that goes
 * past its memory limit, and Berth reads that from the cgroup.
 */
export class PodCgroups {
  private constructor(
    private readonly memory: Hierarchy,
    private readonly pids: Hierarchy | undefined,
  ) {}

  /** The cgroups this process may make, or why none: not root, no memory controller, or a tree it cannot write. */
  static async open(group: string): Promise<PodCgroups | string> {
    if (process.getuid?.() !== 0) return 'memory cgroups need berth up to run as root';
    const { memory, pids } = await ownHierarchies();
    if (!memory) return 'this machine has no memory cgroup controller';
    const at = (h: Hierarchy) => ({ ...h, base: join(h.base, group) });
    for (const h of [memory, ...(pids && pids.version === 1 ? [pids] : [])]) await removeAbandoned(h.base);
    try {
      if (memory.version === 2) await writeFile(join(memory.base, 'cgroup.subtree_control'), `+memory${pids ? ' +pids' : ''}`);
      for (const h of [memory, ...(pids && pids.version === 1 ? [pids] : [])]) await mkdir(join(h.base, group), { recursive: true });
      if (memory.version === 2) await writeFile(join(memory.base, group, 'cgroup.subtree_control'), `+memory${pids ? ' +pids' : ''}`);
    } catch (err) {
      return `the cgroup tree at ${memory.base} cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
    return new PodCgroups(at(memory), pids && at(pids));
  }

  async create(name: string, limits: { memoryBytes: number; maxPids: number }): Promise<ContainerCgroup> {
    const memoryDir = join(this.memory.base, name);
    const pidsDir = this.pids && this.pids.version === 1 ? join(this.pids.base, name) : undefined;
    await mkdir(memoryDir, { recursive: true });
    if (this.memory.version === 1) {
      await writeFile(join(memoryDir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    } else {
      await writeFile(join(memoryDir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(memoryDir, 'memory.swap.max'), '0').catch(() => undefined);
      if (this.pids) await writeFile(join(memoryDir, 'pids.max'), String(limits.maxPids));
    }
    if (pidsDir) {
      await mkdir(pidsDir, { recursive: true });
      await writeFile(join(pidsDir, 'pids.max'), String(limits.maxPids));
    }
    const oomFile = this.memory.version === 1 ? join(memoryDir, 'memory.oom_control') : join(memoryDir, 'memory.events');
    return {
      procs: [join(memoryDir, 'cgroup.procs'), ...(pidsDir ? [join(pidsDir, 'cgroup.procs')] : [])],
      oomKills: async () => readCount(await readFile(oomFile, 'utf8').catch(() => ''), 'oom_kill'),
      remove: async () => {
        for (const dir of [memoryDir, ...(pidsDir ? [pidsDir] : [])]) await rmdir(dir).catch(() => undefined);
      },
      exists: () =>
        access(memoryDir).then(
          () => true,
          () => false,
        ),
    };
  }

  /** Removes the group folder (when Berth stops: its pods' cgroups are gone by then). */
  async close(): Promise<void> {
    for (const h of [this.memory, ...(this.pids && this.pids.version === 1 ? [this.pids] : [])]) await rmdir(h.base).catch(() => undefined);
  }
}
