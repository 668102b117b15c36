import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { OperationsEngine } from '@berth/operations';
import { loadOrCreateCa, loadOrCreateServerCertificate } from '@berth/pki';
import { openStore, type Store } from '@berth/store';
import { buildApp, type ResourceProvider } from '@berth/front-door';

/** Deny by default: the front door refuses to start a route that does not say who may call it. */
describe('access rules are declared by every route', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function build(routes: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
    const home = await mkdtemp(join(tmpdir(), 'berth-access-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const store: Store = await openStore(join(home, 'berth.db'));
    cleanups.push(() => store.close());
    const ca = await loadOrCreateCa(home);
    const cert = await loadOrCreateServerCertificate(home, ca, '127.0.0.1');
    const engine = new OperationsEngine({ db: store.db });
    const provider: ResourceProvider = { namespace: 'Contoso.Test', routes, operationHandlers: [] };
    const app = await buildApp({
      context: { db: store.db, engine, publicUrl: 'https://127.0.0.1:1' },
      providers: [provider],
      tls: { key: cert.keyPem, cert: cert.certPem },
    });
    cleanups.push(() => app.close());
    return app;
  }

  it('starts when every route declares its access', async () => {
    const app = await build(async (app) => {
      app.get('/subscriptions/:subscriptionId/providers/Contoso.Test/things', { config: { access: 'read' } }, async () => ({ value: [] }));
    });
    const res = await app.inject({ method: 'GET', url: '/subscriptions/x/providers/Contoso.Test/things' });
    expect(res.statusCode).toBe(401);
  });

  it('refuses to start a route that declares no access rule', async () => {
    await expect(
      build(async (app) => {
        app.get('/subscriptions/:subscriptionId/providers/Contoso.Test/things', async () => ({ value: [] }));
      }),
    ).rejects.toThrow(/GET \/subscriptions\/:subscriptionId\/providers\/Contoso.Test\/things declares no access rule/);
  });

  it('refuses to start a subscription rule on a path with no :subscriptionId to authorize on', async () => {
    await expect(
      build(async (app) => {
        app.post('/contoso/things', { config: { access: 'write' } }, async () => ({}));
      }),
    ).rejects.toThrow(/declares 'write' access but has no :subscriptionId parameter/);
  });

  it('refuses an access rule it does not know', async () => {
    await expect(
      build(async (app) => {
        app.get('/contoso/things', { config: { access: 'everyone' as never } }, async () => ({}));
      }),
    ).rejects.toThrow(/declares no access rule: set config.access to one of public, signed-in, read, write, own/);
  });
});
