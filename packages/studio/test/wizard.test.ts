// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createElement } from 'react';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { BerthClient, BerthRestError } from '@berth/sdk';
import { CreateNew, attachBlockers, serverProblems, type ClusterSummary } from '../src/wizard.js';
import { byField, emptyCreateForm, validateCreate, validateScale } from '../src/validation.js';

const scope = { subscription: '00000000-0000-0000-0000-000000000001', group: 'ml-rg', workspace: 'ws1' };

/** A client whose calls never reach a network: the wizard under test only validates, or gets the refusal given. */
function fakeClient(refusal?: BerthRestError) {
  const client = new BerthClient('https://berth.invalid', '');
  const begin = vi.spyOn(client, 'beginCreateCompute').mockImplementation(async () => {
    if (refusal) throw refusal;
    throw new Error('unexpected');
  });
  vi.spyOn(client, 'listComputes').mockImplementation(() => {
    throw new Error('not used');
  });
  return { client, begin };
}

function renderCreate(client: BerthClient, existing: string[] = []) {
  const onDone = vi.fn();
  render(createElement(CreateNew, { client, scope, location: 'westus', allowed: true, why: '', onDone, onCancel: () => undefined, existing }));
  return { form: screen.getByRole('form', { name: 'Create new' }), onDone };
}

const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('validateCreate: every rule at once, the server’s own', () => {
  it('accepts the defaults with a valid name', () => {
    const v = validateCreate({ ...emptyCreateForm(), name: 'myaks' }, scope.subscription);
    expect(v.details).toEqual([]);
    expect(v.vcpuLine).toBe('3 nodes x 4 vCPUs = 12 vCPUs; Production needs at least 12');
  });

  it('reports the name, vCPUs, TLS with an internal load balancer and the network together, each at its field', () => {
    const v = validateCreate(
      {
        ...emptyCreateForm(),
        name: '1bad',
        nodes: '2',
        loadBalancerType: 'InternalLoadBalancer',
        tls: true,
        leafDomainLabel: 'contoso',
        network: 'Advanced',
        serviceCidr: '10.0.0.0/16',
        dnsServiceIp: '10.9.0.10',
      },
      scope.subscription,
    );
    expect(v.details.map((d) => d.code).sort()).toEqual(
      expect.arrayContaining(['InvalidComputeName', 'InsufficientVcpusForProduction', 'TlsWithInternalLoadBalancer']),
    );
    expect(v.problems.name?.[0]).toMatch(/does not start with a letter/);
    expect(v.problems.nodes?.[0]).toMatch(/2 nodes x 4 vCPUs \(Standard_D3_v2\) = 8/);
    expect(v.problems.tls?.[0]).toMatch(/not supported with an internal load balancer/);
    expect(v.problems.loadBalancerType?.[0]).toMatch(/not supported with an internal load balancer/);
    expect(v.problems.dnsServiceIp?.length ?? v.problems.network?.length).toBeGreaterThan(0);
    expect(v.vcpuLine).toBe('2 nodes x 4 vCPUs = 8 vCPUs; Production needs at least 12');
  });

  it('refuses a name already used in the workspace (R5) and an unknown VM size', () => {
    const v = validateCreate({ ...emptyCreateForm(), name: 'MyAks', vmSize: 'Standard_Nope' }, scope.subscription, ['myaks']);
    expect(v.problems.name?.[0]).toMatch(/already exists/);
    expect(v.problems.vmSize?.[0]).toMatch(/unknown/);
  });

  it('Dev-test is only warned about (R2)', () => {
    const v = validateCreate({ ...emptyCreateForm(), name: 'dev', nodes: '1', vmSize: 'Standard_B1s', purpose: 'DevTest' }, scope.subscription);
    expect(v.details).toEqual([]);
    expect(v.warnings.join(' ')).toMatch(/at least 2 vCPUs/);
  });

  it('validateScale applies R2 to the new node count', () => {
    expect(validateScale('2', 'Standard_D3_v2', 'FastProd').problems.nodes?.[0]).toMatch(/at least 12 vCPUs/);
    expect(validateScale('5', 'Standard_D3_v2', 'FastProd').details).toEqual([]);
    expect(validateScale('0', 'Standard_D3_v2', 'DevTest').problems.nodes?.[0]).toMatch(/1 to 1000/);
  });

  it('puts each of the server’s problems at its field', () => {
    const err = new BerthRestError(400, {
      code: 'ComputeValidationFailed',
      message: '2 problems',
      details: [
        { code: 'InvalidComputeName', target: 'computeName', message: 'bad name' },
        { code: 'CnameNotInCertificate', target: 'properties.properties.sslConfiguration.cname', message: 'not covered' },
      ],
    });
    const p = serverProblems(err);
    expect(p.name).toEqual(['bad name']);
    expect(p.cname).toEqual(['not covered']);
    expect(p.form?.[0]).toMatch(/ComputeValidationFailed/);
    expect(byField([{ code: 'X', message: 'm' }])).toEqual({ form: ['m'] });
    expect(serverProblems(new BerthRestError(409, { code: 'ComputeAlreadyExists', message: 'taken' }))).toEqual({ name: ['taken'] });
  });
});

describe('the Create new form', () => {
  it('shows the name rule as the user types and the vCPU arithmetic live', () => {
    const { client } = fakeClient();
    const { form } = renderCreate(client);
    expect(within(form).queryByRole('alert')).toBeNull();
    type('Compute name', 'a');
    expect(within(form).getByText(/it has 1 characters/)).toBeTruthy();
    expect(screen.getByLabelText('Compute name').getAttribute('aria-invalid')).toBe('true');
    type('Compute name', 'abc');
    expect(within(form).queryByText(/Compute names have 3 to 24/)).toBeNull();
    type('Number of nodes', '4');
    expect(within(form).getByText('4 nodes x 4 vCPUs = 16 vCPUs; Production needs at least 12')).toBeTruthy();
  });

  it('refuses TLS with an internal load balancer before submitting, with the reason', () => {
    const { client } = fakeClient();
    const { form } = renderCreate(client);
    fireEvent.change(screen.getByLabelText('Load balancer type'), { target: { value: 'InternalLoadBalancer' } });
    fireEvent.click(screen.getByLabelText('Enable TLS'));
    expect(within(form).getAllByText(/TLS termination is not supported with an internal load balancer/).length).toBeGreaterThan(0);
  });

  it('sends nothing while a rule is broken, and shows every problem on submit', async () => {
    const { client, begin } = fakeClient();
    const { form } = renderCreate(client);
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    expect(begin).not.toHaveBeenCalled();
    expect(within(form).getByText(/The compute name '' is invalid/)).toBeTruthy();
  });

  it('shows the server’s refusal next to the field it concerns', async () => {
    const refusal = new BerthRestError(409, {
      code: 'ComputeAlreadyExists',
      message: 'A compute named myaks already exists with another spec.',
      details: [{ code: 'ComputeAlreadyExists', target: 'computeName', message: 'A compute named myaks already exists with another spec.' }],
    });
    const { client, begin } = fakeClient(refusal);
    const { form } = renderCreate(client);
    type('Compute name', 'myaks');
    fireEvent.click(within(form).getByRole('button', { name: 'Create' }));
    await screen.findAllByText(/already exists with another spec/);
    expect(begin).toHaveBeenCalledOnce();
    const nameField = screen.getByLabelText('Compute name').closest('.field')!;
    expect(within(nameField as HTMLElement).getByText(/already exists with another spec/)).toBeTruthy();
  });
});

describe('attachBlockers: why a cluster cannot be attached', () => {
  const cluster = (o: Partial<ClusterSummary['properties']> = {}): ClusterSummary => ({
    id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c',
    name: 'c',
    location: 'westus',
    properties: { provisioningState: 'Succeeded', kubernetesVersion: '1.32.6', agentPoolProfiles: [{ count: 3, vmSize: 'Standard_D3_v2' }], ...o },
  });

  it('names each reason', () => {
    expect(attachBlockers(cluster({ currentKubernetesVersion: '1.20.0' }), 'FastProd', undefined, '127.0.0.1')[0]).toMatch(
      /1\.20\.0 is not supported .* supported: /,
    );
    expect(attachBlockers(cluster({ agentPoolProfiles: [{ count: 1, vmSize: 'Standard_D3_v2' }] }), 'FastProd', undefined, '127.0.0.1')).toEqual([
      '4 vCPUs: too few for Production (at least 12); choose Dev-test',
    ]);
    expect(attachBlockers(cluster({ agentPoolProfiles: [{ count: 1, vmSize: 'Standard_D3_v2' }] }), 'DevTest', undefined, '127.0.0.1')).toEqual([]);
    expect(attachBlockers(cluster(), 'FastProd', 'x (workspace ws)', '127.0.0.1')).toEqual(['already attached as x (workspace ws)']);
    expect(attachBlockers(cluster({ apiServerAccessProfile: { authorizedIPRanges: ['10.0.0.0/8'] } }), 'FastProd', undefined, '127.0.0.1')[0]).toMatch(
      /exclude Berth/,
    );
  });
});
