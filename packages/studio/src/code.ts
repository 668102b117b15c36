import type { AttachForm, CreateForm } from './validation.js';

/** The equivalent `berth` command and `@berth/sdk` snippet of an action, filled in with the form's values. */
export interface CodeView {
  cli: string;
  sdk: string;
}

export interface Scope {
  subscription: string;
  group: string;
  workspace: string;
}

const q = (v: string) => (/^[A-Za-z0-9_./:=@-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
const js = (v: unknown) => JSON.stringify(v);
const ws = (s: Scope) => `-w ${q(s.workspace)} -g ${q(s.group)}`;
const sdkHead = (s: Scope) =>
  `import { BerthClient } from '@berth/sdk';\nimport { clientFromEnvironment } from '@berth/sdk/node';\n\nconst client: BerthClient = clientFromEnvironment();\nconst [sub, group, workspace] = [${js(s.subscription)}, ${js(s.group)}, ${js(s.workspace)}];\n`;

/** A body as JSON with the certificate and key shown as the files they come from (in Node: readSslPemFiles of @berth/sdk/node). */
function pemless(body: unknown): string {
  return JSON.stringify(body, (k, v) => (typeof v === 'string' && v && (k === 'key' || k === 'cert') ? `<${k}.pem>` : v), 2);
}

function tlsFlags(f: Pick<CreateForm, 'tls' | 'tlsMode' | 'leafDomainLabel' | 'cname'>): string {
  if (!f.tls) return '';
  return f.tlsMode === 'auto'
    ? ` --ssl-leaf-domain-label ${q(f.leafDomainLabel || '<label>')}`
    : ` --ssl-cert-file cert.pem --ssl-key-file key.pem --ssl-cname ${q(f.cname || '<cname>')}`;
}

export function createCode(s: Scope, f: CreateForm, body: unknown): CodeView {
  let cli = `berth ml computetarget create aks -n ${q(f.name || '<name>')} ${ws(s)} -l ${q(f.location)} -s ${q(f.vmSize)} -a ${q(f.nodes)} --cluster-purpose ${f.purpose}`;
  if (f.network === 'Advanced') {
    if (f.vnetResourceGroup) cli += ` --vnet-resourcegroup-name ${q(f.vnetResourceGroup)}`;
    if (f.vnetName) cli += ` --vnet-name ${q(f.vnetName)}`;
    if (f.subnetName) cli += ` --subnet-name ${q(f.subnetName)}`;
    if (f.serviceCidr) cli += ` --service-cidr ${q(f.serviceCidr)}`;
    if (f.dnsServiceIp) cli += ` --dns-service-ip ${q(f.dnsServiceIp)}`;
    if (f.dockerBridgeCidr) cli += ` --docker-bridge-cidr ${q(f.dockerBridgeCidr)}`;
  }
  if (f.loadBalancerType !== 'PublicIp') cli += ` --load-balancer-type ${f.loadBalancerType}`;
  if (f.loadBalancerType === 'InternalLoadBalancer' && f.loadBalancerSubnet) cli += ` --load-balancer-subnet ${q(f.loadBalancerSubnet)}`;
  cli += tlsFlags(f);
  const sdk = `${sdkHead(s)}const poller = await client.beginCreateCompute(sub, group, workspace, ${js(f.name || '<name>')}, ${pemless(body)});\nawait poller.pollUntilDone();`;
  return { cli, sdk };
}

export function attachCode(s: Scope, f: AttachForm, body: unknown): CodeView {
  let cli = `berth ml computetarget attach aks -n ${q(f.name || '<name>')} ${ws(s)} -i ${q(f.clusterId || '<cluster id>')} --cluster-purpose ${f.purpose}${tlsFlags(f)}`;
  if (f.loadBalancerType !== 'PublicIp') {
    cli += `\nberth ml computetarget update aks -n ${q(f.name || '<name>')} ${ws(s)} --load-balancer-type ${f.loadBalancerType}${f.loadBalancerSubnet ? ` --load-balancer-subnet ${q(f.loadBalancerSubnet)}` : ''}`;
  }
  const sdk = `${sdkHead(s)}const poller = await client.beginAttachCompute(sub, group, workspace, ${js(f.name || '<name>')}, ${pemless(body)});\nawait poller.pollUntilDone();`;
  return { cli, sdk };
}

export function scaleCode(s: Scope, name: string, nodes: string): CodeView {
  return {
    cli: `berth ml computetarget scale -n ${q(name)} ${ws(s)} --node-count ${q(nodes)}`,
    sdk: `${sdkHead(s)}const poller = await client.beginUpdateCompute(sub, group, workspace, ${js(name)}, { properties: { properties: { agentCount: ${Number(nodes) || js(nodes)} } } });\nawait poller.pollUntilDone();`,
  };
}

export function updateCode(
  s: Scope,
  name: string,
  update: { loadBalancerType: string; loadBalancerSubnet: string; tls: 'keep' | 'off' | 'auto' | 'custom'; leafDomainLabel: string; cname: string },
  body: unknown,
): CodeView {
  let cli = `berth ml computetarget update aks -n ${q(name)} ${ws(s)} --load-balancer-type ${update.loadBalancerType}`;
  if (update.loadBalancerType === 'InternalLoadBalancer' && update.loadBalancerSubnet) cli += ` --load-balancer-subnet ${q(update.loadBalancerSubnet)}`;
  if (update.tls === 'off') cli += ' --disable-ssl';
  if (update.tls === 'auto') cli += ` --ssl-leaf-domain-label ${q(update.leafDomainLabel || '<label>')}`;
  if (update.tls === 'custom') cli += ` --ssl-cert-file cert.pem --ssl-key-file key.pem --ssl-cname ${q(update.cname || '<cname>')}`;
  // The key never goes into the page's code view.
  const shown = pemless(body);
  return {
    cli,
    sdk: `${sdkHead(s)}const poller = await client.beginUpdateCompute(sub, group, workspace, ${js(name)}, ${shown});\nawait poller.pollUntilDone();`,
  };
}

export function removeCode(s: Scope, name: string, action: 'Detach' | 'Delete'): CodeView {
  return {
    cli: action === 'Detach' ? `berth ml computetarget detach -n ${q(name)} ${ws(s)}` : `berth ml computetarget delete -n ${q(name)} ${ws(s)} --yes`,
    sdk: `${sdkHead(s)}const poller = await client.beginDeleteCompute(sub, group, workspace, ${js(name)}, ${js(action)});\nawait poller.pollUntilDone();`,
  };
}

export function kubeconfigCode(s: Scope, name: string): CodeView {
  return {
    cli: `berth ml computetarget get-credentials -n ${q(name)} ${ws(s)} -f -`,
    sdk: `${sdkHead(s)}const { adminKubeConfig } = await client.listComputeKeys(sub, group, workspace, ${js(name)});`,
  };
}
