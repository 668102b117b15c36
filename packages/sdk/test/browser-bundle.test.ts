import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { startTestBerth, type TestBerth } from '../../../test-support/berth.js';
import { freePort } from '../../../test-support/kube.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const builtins = new Set(builtinModules);

/** `@berth/sdk` bundled as a browser app's bundler (e.g. Vite) would: the `browser` condition, every import inlined. */
async function browserBundle(options: BuildOptions = {}) {
  const result = await build({
    stdin: { contents: "export * from '@berth/sdk';", resolveDir: here, loader: 'js' },
    bundle: true,
    platform: 'browser',
    conditions: ['browser'],
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...options,
  });
  return { code: result.outputFiles![0].text, inputs: Object.keys(result.metafile!.inputs) };
}

/** Every module specifier of `code` that names a Node built-in (`node:…`, `https`, `fs/promises`, …). */
function nodeBuiltinReferences(code: string): string[] {
  const specifiers = [...code.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
  return [...specifiers, ...(code.match(/["']node:[^"']*["']/g) ?? [])].filter((s) => /^["']?node:/.test(s) || builtins.has(s.split('/')[0]));
}

describe('@berth/sdk in a browser', () => {
  it('bundles with its dependencies, the fetch transport and the browser certificate checks, and no Node built-in', async () => {
    const { code, inputs } = await browserBundle();
    expect(inputs).toContain('packages/sdk/dist/transport-browser.js');
    expect(inputs).toContain('packages/compute-rules/dist/certificates-browser.js');
    expect(inputs.filter((f) => /transport-node|home-folder|workspace-config|pem-files|certificates-node/.test(f))).toEqual([]);
    expect(nodeBuiltinReferences(code)).toEqual([]);
  });

  describe("the bundle's fetch transport against a real Berth", () => {
    let berth: TestBerth;
    let dir: string;
    let sdk: typeof import('@berth/sdk');
    const previousDispatcher = getGlobalDispatcher();
    let agent: Agent;

    beforeAll(async () => {
      berth = await startTestBerth({ provisioningDelayMs: 0 });
      // A browser trusts Berth's CA through the system; Node's fetch, through its global dispatcher.
      agent = new Agent({ connect: { ca: berth.ca } });
      setGlobalDispatcher(agent);
      dir = await mkdtemp(join(tmpdir(), 'berth-browser-bundle-'));
      const file = join(dir, 'sdk.mjs');
      await writeFile(file, (await browserBundle()).code);
      sdk = await import(/* @vite-ignore */ pathToFileURL(file).href);
    });
    afterAll(async () => {
      setGlobalDispatcher(previousDispatcher);
      await agent?.close();
      await berth?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('lists subscriptions, creates a workspace through its poller, and carries ARM errors', async () => {
      const client = new sdk.BerthClient(berth.url, berth.token);
      expect((await client.listSubscriptions()).map((s) => s.subscriptionId)).toEqual([berth.subscriptionId]);
      await client.createResourceGroup(berth.subscriptionId, 'browser-rg', 'westus');
      const poller = await client.beginCreateWorkspace(berth.subscriptionId, 'browser-rg', 'browserws', { location: 'westus' });
      const seen: string[] = [];
      poller.onProgress((state) => seen.push(state.status));
      const workspace = await poller.pollUntilDone({ intervalInMs: 50 });
      expect(workspace.properties.provisioningState).toBe('Succeeded');
      expect(seen.at(-1)).toBe('Succeeded');
      const missing = await client.getWorkspace(berth.subscriptionId, 'browser-rg', 'nosuchws').catch((e) => e);
      expect(missing).toBeInstanceOf(sdk.BerthRestError);
      expect(missing).toMatchObject({ statusCode: 404, requestId: expect.any(String) });
    });

    it('runs the pre-flight rules in the browser, TLS included, checking what a browser can of the PEM blocks', () => {
      const config = sdk.AksCompute.provisioningConfiguration({ agentCount: 1, vmSize: 'Standard_D3_v2' }).enableSsl({
        sslCertPem: 'not a certificate',
        sslKeyPem: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----',
        sslCname: 'www.contoso.com',
      });
      const error = (() => {
        try {
          config.validateConfiguration('Bad_Name');
        } catch (err) {
          return err as InstanceType<typeof sdk.ComputeConfigurationError>;
        }
      })();
      expect(error).toBeInstanceOf(sdk.ComputeConfigurationError);
      expect(error!.details.map((d) => d.code).sort()).toEqual(['InsufficientVcpusForProduction', 'InvalidCertificate', 'InvalidComputeName', 'InvalidKey']);
    });

    it('says Berth cannot be reached, and passes an abort through', async () => {
      // Not port 9 as in sdk.test.ts: fetch refuses that port itself, as browsers do.
      const port = await freePort();
      const unreachable = new sdk.BerthClient(`https://127.0.0.1:${port}`, berth.token);
      await expect(unreachable.listSubscriptions()).rejects.toThrow(
        `Cannot reach Berth at https://127.0.0.1:${port} (ECONNREFUSED); is it running, does this browser trust its certificate`,
      );
      const aborted = new AbortController();
      aborted.abort();
      await expect(new sdk.BerthClient(berth.url, berth.token).listSubscriptions({ abortSignal: aborted.signal })).rejects.toThrow(/abort/i);
    });
  });
});
