// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createElement } from 'react';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import type { ComputeResource } from '@berth/sdk';
import { ComputeTable } from '../src/compute-table.js';
import { certificateExpiry, formatTime } from '../src/format.js';
import { hrefOf, parseRoute } from '../src/router.js';

function compute(
  name: string,
  o: { state?: string; purpose?: 'FastProd' | 'DevTest'; attached?: boolean; errors?: string[]; ssl?: 'Auto' | 'Disabled' } = {},
): ComputeResource {
  return {
    id: `/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/computes',
    location: 'westus',
    systemData: {},
    properties: {
      computeType: 'AKS',
      computeLocation: 'westus',
      description: null,
      resourceId: `/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/${name}`,
      provisioningState: o.state ?? 'Succeeded',
      provisioningErrors: o.errors ? o.errors.map((message) => ({ error: { code: 'PolicyViolation', message } })) : null,
      isAttachedCompute: o.attached ?? false,
      createdOn: '2026-12-01T10:00:00Z',
      modifiedOn: '2026-12-01T10:05:00Z',
      disableLocalAuth: false,
      properties: {
        agentCount: 3,
        agentVmSize: 'Standard_D3_v2',
        clusterPurpose: o.purpose ?? 'FastProd',
        clusterFqdn: `${name}.westus.cloudapp.local`,
        systemServices: [],
        sslConfiguration: o.ssl === 'Auto' ? { status: 'Auto', leafDomainLabel: 'contoso' } : { status: 'Disabled' },
        loadBalancerType: 'PublicIp',
      },
    },
  };
}

afterEach(cleanup);

describe('ComputeTable', () => {
  it('says what to do when there is no compute', () => {
    render(createElement(ComputeTable, { computes: [], hrefOf: (n: string) => n, onOpen: () => undefined }));
    expect(screen.getByRole('status').textContent).toMatch(/^No inference clusters yet: New → Create new/);
  });

  it('has a row per compute with every column, and opens a compute from its link', () => {
    const onOpen = vi.fn();
    render(
      createElement(ComputeTable, {
        computes: [compute('prod', { ssl: 'Auto' }), compute('dev', { purpose: 'DevTest', attached: true, state: 'Creating' })],
        hrefOf: (n: string) => `/studio/computes/${n}`,
        onOpen,
      }),
    );
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Name', 'State', 'Cluster purpose', 'Nodes', 'VM size', 'Location', 'Attached or created', 'Scoring endpoint / FQDN', 'TLS']);
    const rows = screen.getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['Succeeded', 'Production', '3', 'Standard_D3_v2', 'westus', 'Created', 'prod.westus.cloudapp.local', 'Auto (contoso)'],
      ['Creating', 'Dev-test', '3', 'Standard_D3_v2', 'westus', 'Attached', 'dev.westus.cloudapp.local', 'Off'],
    ]);
    const link = screen.getByRole('link', { name: 'dev' });
    expect(link.getAttribute('href')).toBe('/studio/computes/dev');
    fireEvent.click(link);
    expect(onOpen).toHaveBeenCalledWith('dev');
  });

  it("shows a failed compute's reason on hover and when expanded", () => {
    render(
      createElement(ComputeTable, {
        computes: [compute('bad', { state: 'Failed', errors: ['Step wait-cluster: a policy forbids publicIPAddresses'] })],
        hrefOf: (n: string) => n,
        onOpen: () => undefined,
      }),
    );
    const details = screen.getByText('Failed').closest('details')!;
    expect(details.getAttribute('title')).toBe('PolicyViolation: Step wait-cluster: a policy forbids publicIPAddresses');
    expect(within(details).getByText(/a policy forbids publicIPAddresses/)).toBeTruthy();
  });

  it('renders 500 computes', () => {
    const many = Array.from({ length: 500 }, (_, i) => compute(`aks-${i}`));
    render(createElement(ComputeTable, { computes: many, hrefOf: (n: string) => n, onOpen: () => undefined }));
    expect(screen.getAllByRole('row')).toHaveLength(501);
  });
});

describe('format and routes', () => {
  it('keeps the scope in the URL', () => {
    const route = { page: 'compute' as const, compute: 'my aks', subscription: 's', group: 'g', workspace: 'w' };
    const href = hrefOf(route);
    expect(href).toBe('/studio/computes/my%20aks?subscription=s&group=g&workspace=w');
    const url = new URL(href, 'https://x');
    expect(parseRoute(url)).toEqual(route);
    expect(parseRoute(new URL('https://x/studio/?subscription=s'))).toEqual({ page: 'list', subscription: 's', group: undefined, workspace: undefined });
  });

  it("shows times in the user's locale", () => {
    expect(formatTime('2026-12-01T10:00:00Z')).toBe(new Date('2026-12-01T10:00:00Z').toLocaleString());
    expect(formatTime(undefined)).toBe('');
  });

  it("reads a certificate's expiry from its PEM", async () => {
    const { X509Certificate } = await import('node:crypto');
    const { loadOrCreateCa } = await import('@berth/pki');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'studio-ca-'));
    try {
      const ca = await loadOrCreateCa(dir);
      const pem = ca.certPem;
      expect(certificateExpiry(pem)?.toISOString()).toBe(new Date(new X509Certificate(pem).validTo).toISOString());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(certificateExpiry('nope')).toBeUndefined();
  });
});
