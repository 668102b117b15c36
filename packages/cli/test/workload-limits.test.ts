import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { eventually, Kubectl, kubeApi, listYaml, nodeApp } from '../../../test-support/kube.js';
import { berthProcesses, runBerth } from '../../../test-support/process.js';

/**
 * A monitor in a process of its own (as a load balancer's health check is): `GET /healthz` every 50 ms on
 * one kept-alive connection, opened first, until told to stop; then how many answers, and the slowest (ms).
 */
const HEALTHZ_MONITOR = `
const https = require('node:https');
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: require('node:fs').readFileSync(process.argv[2]) });
const get = () => new Promise((resolve, reject) => https.get(process.argv[1] + '/healthz', { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));
let done = false, max = 0, count = 0, failures = 0;
process.stdin.on('data', () => (done = true)).resume();
(async () => {
  await get();
  while (!done) {
    const started = performance.now();
    if ((await get()) !== 200) failures++;
    max = Math.max(max, performance.now() - started);
    count++;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(JSON.stringify({ max, count, failures }));
  agent.destroy();
})();`;

function healthzMonitor(url: string, caFile: string): { stop(): Promise<{ max: number; count: number; failures: number }> } {
  const child = spawn(process.execPath, ['-e', HEALTHZ_MONITOR, url, caFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.stdin.end('stop');
      await exited;
      return JSON.parse(out);
    },
  };
}

describe('limits on real pods', () => {
  const procs = berthProcesses('berth-limits-');

  async function clusterOn(
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ url: string; home: string; kubectl: Kubectl; api: ReturnType<typeof kubeApi>; stderr: () => string }> {
    const home = await procs.tempHome();
    const p = await procs.up(['--home', home, '--port', '0', '--provisioning-delay-ms', '0', ...args], env);
    const cli = { BERTH_HOME: home };
    const kubeconfig = join(home, 'kubeconfig');
    for (const cmd of [
      ['group', 'create', '-n', 'rg', '-l', 'westus'],
      ['aks', 'create', '-g', 'rg', '-n', 'limits'],
      ['aks', 'get-credentials', '-g', 'rg', '-n', 'limits', '--admin', '--file', kubeconfig],
    ]) {
      const res = await runBerth(cmd, cli);
      expect(res.code, res.stderr).toBe(0);
    }
    const config = await readFile(kubeconfig, 'utf8');
    const kubectl = await Kubectl.create(config);
    procs.cleanup(() => kubectl.close());
    return { url: p.url, home, kubectl, api: kubeApi(config), stderr: p.stderr };
  }

  const podsOf = async (api: ReturnType<typeof kubeApi>, app: string) =>
    (await api('GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).body.items as any[];
  /** Polls gently: what is measured is berth up's answers, not a machine busy with the test's own polling. */
  const slowly = <T>(what: string, check: () => Promise<T | undefined>) => eventually(what, check, 30_000, 250);

  it('a pod past its memory limit ends OOMKilled and restarts, whether its buffers or its heap grow; /healthz stays under 50 ms', async () => {
    const { url, home, kubectl, api } = await clusterOn([]);
    const limits = { resources: { limits: { memory: '96Mi' }, requests: { memory: '64Mi' } } };
    // Buffers live outside V8's heap: only the cgroup bounds them.
    await kubectl.ok(
      ['apply', '-f', '-'],
      listYaml(nodeApp('buffers', `const held = []; setInterval(() => held.push(Buffer.alloc(8 << 20, 1)), 20);`, { extra: limits })),
    );
    await kubectl.ok(
      ['apply', '-f', '-'],
      listYaml(nodeApp('heap', `const held = []; setInterval(() => { for (let i = 0; i < 2e5; i++) held.push({ i, s: 'x' + i }); }, 10);`, { extra: limits })),
    );
    // A control within its limit keeps running.
    await kubectl.ok(
      ['apply', '-f', '-'],
      listYaml(nodeApp('modest', `const held = Buffer.alloc(16 << 20, 1); setInterval(() => held[0]++, 100);`, { extra: limits })),
    );
    // Measured while the pods start, run out of memory, are killed and restart (kubectl, which the test runs, is done by then).
    const health = healthzMonitor(url, join(home, 'ca.pem'));
    for (const app of ['buffers', 'heap']) {
      const status = await slowly(`${app} OOMKilled`, async () => {
        const c = (await podsOf(api, app))[0]?.status?.containerStatuses?.[0];
        return c?.lastState?.terminated?.reason === 'OOMKilled' ? c : undefined;
      });
      expect(status.lastState.terminated.exitCode).toBe(137);
      expect(status.restartCount).toBeGreaterThanOrEqual(1);
      expect(await kubectl.ok(['get', 'pods', '-l', `app=${app}`])).toMatch(/OOMKilled|CrashLoopBackOff|Running/);
    }
    // It restarts (after the kubelet's 10 s back-off) and runs again.
    await slowly('buffers running again', async () => ((await podsOf(api, 'buffers'))[0]?.status?.containerStatuses?.[0]?.state?.running ? true : undefined));
    const modest = (await podsOf(api, 'modest'))[0].status.containerStatuses[0];
    expect(modest.restartCount).toBe(0);
    expect(modest.state.running).toBeDefined();
    const { max, count, failures } = await health.stop();
    expect(failures).toBe(0);
    expect(count).toBeGreaterThan(50);
    expect(max, `slowest /healthz of ${count}: ${max.toFixed(1)} ms`).toBeLessThan(50);
  });

  it('--max-running-pods leaves the pods past it Pending, saying why, and starts them as places free up', async () => {
    const { kubectl, api } = await clusterOn(['--max-running-pods', '2']);
    await kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('many', `setInterval(() => {}, 1000);`, { replicas: 4 })));
    const pods = await eventually('two running, two waiting', async () => {
      const items = await podsOf(api, 'many');
      const running = items.filter((p) => p.status?.containerStatuses?.[0]?.state?.running);
      const waiting = items.filter((p) => p.status?.reason === 'MaxRunningPods');
      return running.length === 2 && waiting.length === 2 ? { running, waiting } : undefined;
    });
    for (const pod of pods.waiting) {
      expect(pod.status.phase).toBe('Pending');
      expect(pod.status.message).toMatch(/at most 2 pods for real at once \(--max-running-pods 2\): this pod starts when one of them stops/);
      expect(pod.status.containerStatuses[0].state.waiting.reason).toBe('MaxRunningPods');
    }
    expect(await kubectl.ok(['get', 'pods', '-l', 'app=many'])).toMatch(/MaxRunningPods/);
    // A place frees up: the oldest waiting pod starts.
    await kubectl.ok(['delete', 'pod', pods.running[0].metadata.name, '--wait=false']);
    await eventually('a waiting pod running', async () => {
      const items = await podsOf(api, 'many');
      return pods.waiting.some((w) => items.find((p) => p.metadata.name === w.metadata.name)?.status?.containerStatuses?.[0]?.state?.running)
        ? true
        : undefined;
    });
    // Scaled down to what fits: nothing waits any more.
    await kubectl.ok(['scale', 'deployment', 'many', '--replicas=2']);
    await eventually('none waiting', async () => ((await podsOf(api, 'many')).every((p) => p.status?.reason !== 'MaxRunningPods') ? true : undefined));
  });

  it('where no sandbox can be made, pods are simulated and say why; --run-workloads=unsandboxed runs them, with a warning', async () => {
    // A PATH without bubblewrap, with everything else the sandbox's launcher needs.
    const bin = await procs.tempHome();
    for (const tool of ['bash', 'setpriv', 'ldd']) await writeFile(join(bin, tool), `#!/bin/sh\nexec /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
    const off = await clusterOn([], { PATH: bin });
    await off.kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('off', `setInterval(() => {}, 1000);`)));
    const simulated = await eventually('the pod simulated', async () => (await podsOf(off.api, 'off'))[0]?.status?.message);
    expect(simulated).toMatch(/Simulated by Berth's local cloud: nothing runs/);
    expect(simulated).toMatch(
      /Workloads are off: no sandbox can be made on this machine: bubblewrap \(bwrap\) is not installed: install it \(Debian: 'apt-get install bubblewrap'\)/,
    );
    expect(simulated).toMatch(/--run-workloads=unsandboxed/);
    expect(off.stderr()).toMatch(/Workloads are off, every pod is simulated: no sandbox can be made on this machine: bubblewrap \(bwrap\) is not installed/);

    const unsandboxed = await clusterOn(['--run-workloads=unsandboxed']);
    expect(unsandboxed.stderr()).toMatch(/Workloads run unsandboxed \(--run-workloads=unsandboxed\): pods run as Berth's user and can read its home folder/);
    await unsandboxed.kubectl.ok(['apply', '-f', '-'], listYaml(nodeApp('plain', `console.log('uid', process.getuid()); setInterval(() => {}, 1000);`)));
    const pod = await eventually('the pod running', async () => {
      const p = (await podsOf(unsandboxed.api, 'plain'))[0];
      return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    expect(await eventually('its log', async () => (await unsandboxed.kubectl.ok(['logs', pod.metadata.name])) || undefined)).toBe(
      `uid ${process.getuid!()}\n`,
    );
  });
});
