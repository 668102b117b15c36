import { it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa, loadOrCreateServerCertificate } from '@berth/pki';
import { startTestBerth } from '../../../test-support/berth.js';
import { FaultProxy } from '../../../test-support/fault-proxy.js';
import { makeCluster, paths, setUpWorkspaces } from './compute-fixtures.js';

it('hang debug', async () => {
  const home = await mkdtemp(join(tmpdir(), 'berth-faults-'));
  const ca = await loadOrCreateCa(home);
  const cert = await loadOrCreateServerCertificate(home, ca);
  let target = '';
  const proxy = new FaultProxy(() => target, { key: cert.keyPem, cert: cert.certPem, ca: ca.certPem });
  const proxyUrl = await proxy.start();
  const berth = await startTestBerth({ home, containerServiceEndpoint: proxyUrl });
  target = berth.url;
  const sub = berth.subscriptionId;
  await setUpWorkspaces(berth.request, sub, [['rg', 'faulty-ws']]);
  const clusterId = await makeCluster(berth.request, sub, 'rg', 'target');
  proxy.inject(/^\/clusters\//, { kind: 'hang' }, 1);
  const t = Date.now();
  const put = await berth.request('PUT', paths(sub).compute('rg', 'faulty-ws', 'attached'), { body: { properties: { computeType: 'AKS', resourceId: clusterId } } });
  for (;;) {
    const op = await berth.request('GET', put.headers['azure-asyncoperation'] as string);
    const rows = await berth.server.store.db.selectFrom('operations' as never).selectAll().execute().catch(() => []);
    console.log(Date.now() - t, op.body.status, proxy.injected, JSON.stringify((rows as any[]).filter((r) => r.kind.includes('computes')).map((r: any) => [r.step, r.attempt, r.status, r.next_run_at, r.lease_owner ? 'leased' : ''])));
    if (op.body.status !== 'InProgress') break;
    await new Promise((r) => setTimeout(r, 5000));
  }
}, 150_000);
