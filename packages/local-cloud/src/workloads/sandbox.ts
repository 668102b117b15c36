import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ContainerCgroup } from './pod-cgroups.js';

/** The preload module that gives a process its pod's network (see pod-network.ts). */
export const POD_NETWORK = fileURLToPath(new URL('./pod-network.js', import.meta.url));
/** Where the preload module and the pod's bridge socket are inside a sandbox. */
const SANDBOX_PRELOAD = '/run/berth/pod-network.js';
export const SANDBOX_BRIDGE_DIR = '/run/berth/net';

/** A host folder or file a sandbox sees, at the path its process uses. */
export interface Mount {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** What one sandboxed process is: its arguments after `node`, environment, folder, mounts, user and limits. */
export interface SandboxedLaunch {
  nodeArgs: string[];
  env: Record<string, string>;
  cwd: string;
  hostname: string;
  mounts: Mount[];
  /** The unprivileged user the process runs as, where Berth is root (nobody if none is given); otherwise Berth's own, in a user namespace. */
  uid?: number;
  cgroup?: ContainerCgroup;
  /** Its open log file, for stdout and stderr. */
  log: number;
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const file = join(dir, name);
    if (
      await access(file, fsConstants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

/** The shared libraries `node` loads, as the dynamic loader finds them (ldd's answer), and the loader itself. */
async function nodeLibraries(node: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ldd', [node]);
  const libraries: string[] = [];
  for (const line of stdout.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match) libraries.push(match[1]);
  }
  return libraries;
}

/**
 * The launcher runs as Berth's user (root or not): it closes every inherited
 * descriptor but stdio and the ones bwrap needs, joins the container's cgroups,
 * then starts bwrap.
 */
const LAUNCHER = `keep=$1; shift
for f in /proc/$$/fd/*; do n=\${f##*/}; if [ "$n" -gt "$keep" ] && [ -e "$f" ]; then eval "exec $n>&-"; fi; done
while [ "$1" != "--" ]; do echo $$ > "$1"; shift; done; shift
exec "$@"`;

/**
 * Pods' processes in bubblewrap sandboxes: their own mount, PID, IPC, UTS,
 * cgroup and network namespaces; nothing of the machine's files but the node
 * binary, its libraries and the pod's own folders; gone when Berth is
 * (`--die-with-parent`).
 *
 * Where Berth is root, bwrap runs as root (it can open the pod's folders in
 * Berth's private home) and keeps only the capability to change user, which
 * setpriv, inside, uses to become the pod's own user with no capability left
 * and no way to gain one. Otherwise bwrap runs in a user namespace as Berth's user.
 */
export class Sandbox {
  private constructor(
    private readonly bwrap: string,
    private readonly bash: string,
    /** setpriv's path, where Berth is root: it drops to the pod's user inside the sandbox. */
    private readonly setpriv: string | undefined,
    private readonly node: string,
    private readonly runtime: string[],
    /** coreutils' nice: pods run below Berth's priority, so a busy pod cannot slow Berth's answers. */
    private readonly nice: string | undefined,
  ) {}

  /** A sandbox that starts a process on this machine, or why none can be made here and how to fix it. */
  static async probe(): Promise<Sandbox | string> {
    const bwrap = await onPath('bwrap');
    if (!bwrap) return "bubblewrap (bwrap) is not installed: install it (Debian: 'apt-get install bubblewrap')";
    const bash = await onPath('bash');
    if (!bash) return 'bash is not installed; the sandbox launcher needs it';
    const root = process.getuid?.() === 0;
    const setpriv = root ? await onPath('setpriv') : undefined;
    if (root && !setpriv) return 'setpriv (util-linux) is not installed; it runs pods as their own user when berth up runs as root';
    const node = await realpath(process.execPath);
    const binaries = [node, ...(setpriv ? [await realpath(setpriv)] : [])];
    const runtime = new Set<string>(binaries);
    for (const binary of binaries) {
      try {
        for (const library of await nodeLibraries(binary)) runtime.add(library);
      } catch (err) {
        return `the libraries of ${binary} could not be listed with ldd (${(err as Error).message})`;
      }
    }
    const sandbox = new Sandbox(bwrap, bash, setpriv && (await realpath(setpriv)), node, [...runtime], await onPath('nice'));
    const failure = await sandbox.trial();
    return failure ?? sandbox;
  }

  /** Starts `node -e 0` in a sandbox as pods start: undefined if it ran, else what bwrap said. */
  private trial(): Promise<string | undefined> {
    const child = this.start({ nodeArgs: ['-e', '0'], env: {}, cwd: '/', hostname: 'probe', mounts: [], log: -1 }, 'pipe');
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => {
      child.once('error', (err) => resolve(err.message));
      child.once('exit', (code) => resolve(code === 0 ? undefined : `a trial sandbox failed (${stderr.trim() || `exit code ${code}`})`));
    });
  }

  launch(launch: SandboxedLaunch): ChildProcess {
    return this.start(launch, launch.log);
  }

  private start(launch: SandboxedLaunch, output: number | 'pipe'): ChildProcess {
    const fds: number[] = [];
    const fdArgs: string[] = [];
    // Folders are handed to bwrap open, so the pod's user need not be able to walk Berth's home to them.
    const bindFd = (source: string, target: string, readOnly: boolean) => {
      fds.push(openSync(source, 'r'));
      fdArgs.push(readOnly ? '--ro-bind-fd' : '--bind-fd', String(3 + fds.length - 1), target);
    };
    try {
      for (const file of this.runtime) bindFd(file, file, true);
      bindFd(POD_NETWORK, SANDBOX_PRELOAD, true);
      for (const m of launch.mounts) bindFd(m.source, m.target, m.readOnly ?? false);
      // bwrap makes the folders leading to a mount 0700 when it runs as root: the pod's user could not reach them.
      const folders = new Set<string>();
      for (const target of [...this.runtime, SANDBOX_PRELOAD, ...launch.mounts.map((m) => m.target)]) {
        for (let dir = dirname(target); dir !== '/'; dir = dirname(dir)) folders.add(dir);
      }
      const folderArgs = [...folders].sort((a, b) => a.split('/').length - b.split('/').length).flatMap((dir) => ['--perms', '0755', '--dir', dir]);
      const user =
        this.setpriv === undefined
          ? ['--unshare-all']
          : ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID'];
      const uid = launch.uid ?? 65534;
      const dropToUser = this.setpriv
        ? [this.setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--']
        : [];
      const bwrapArgs = [
        ...user,
        '--die-with-parent',
        '--new-session',
        '--hostname',
        launch.hostname.slice(0, 63),
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        '--size',
        String(64 * 1024 * 1024),
        '--perms',
        '1777',
        '--tmpfs',
        '/tmp',
        ...folderArgs,
        ...fdArgs,
        '--chdir',
        launch.cwd,
        '--',
        ...dropToUser,
        this.node,
        '--import',
        SANDBOX_PRELOAD,
        ...launch.nodeArgs,
      ];
      return spawn(
        this.bash,
        [
          '-c',
          LAUNCHER,
          'launcher',
          String(2 + fds.length),
          ...(launch.cgroup?.procs ?? []),
          '--',
          ...(this.nice ? [this.nice, '-n', '10'] : []),
          this.bwrap,
          ...bwrapArgs,
        ],
        {
          env: { ...launch.env, NODE_OPTIONS: [launch.env.NODE_OPTIONS, `--import=${SANDBOX_PRELOAD}`].filter(Boolean).join(' ') },
          stdio: ['ignore', output, output, ...fds],
        },
      );
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
}
