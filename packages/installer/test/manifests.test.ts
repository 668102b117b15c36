import { describe, expect, it } from 'vitest';
// The generated models' serializer (not re-exported by the package's index): the schema, type by type.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { desiredObjects, type InstallSpec } from '@berth/installer';

const spec: InstallSpec = {
  computeId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/myaks',
  computeName: 'myaks',
  workspaceName: 'w',
  workspaceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w',
  clusterPurpose: 'FastProd',
  loadBalancerType: 'InternalLoadBalancer',
  loadBalancerSubnet: 'scoring',
  tls: { certPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', keyPem: 'k', cname: 'fe.contoso.com' },
  image: 'node:20-alpine',
  router: 'console.log(1);\n',
};

/** The model of each kind the installer writes, as the Kubernetes OpenAPI schema names it in client-node. */
const MODELS: Record<string, string> = {
  Namespace: 'V1Namespace',
  ClusterRole: 'V1ClusterRole',
  ClusterRoleBinding: 'V1ClusterRoleBinding',
  ServiceAccount: 'V1ServiceAccount',
  ConfigMap: 'V1ConfigMap',
  Secret: 'V1Secret',
  Deployment: 'V1Deployment',
  Service: 'V1Service',
};

describe("the installer's objects are valid Kubernetes objects", () => {
  it.each([
    ['TLS, internal load balancer, FastProd', spec],
    [
      'no TLS, public IP, DevTest',
      { ...spec, tls: undefined, loadBalancerType: 'PublicIp', loadBalancerSubnet: undefined, clusterPurpose: 'DevTest' } as InstallSpec,
    ],
  ])('%s: every field is one of its kind’s schema, with the right type', (_name, s) => {
    for (const object of desiredObjects(s)) {
      const model = MODELS[object.kind];
      expect(model, object.kind).toBeDefined();
      // The typed models keep only the fields the schema declares, typed as it declares them: a misspelt
      // or misplaced field (or a number where a string belongs) does not survive the round trip.
      const roundTrip = ObjectSerializer.serialize(ObjectSerializer.deserialize(JSON.parse(JSON.stringify(object)), model, ''), model, '');
      expect(roundTrip, `${object.kind}/${object.metadata.name}`).toEqual(object);
    }
  });

  it('the round trip catches a misspelt field (the check itself can fail)', () => {
    const deployment = JSON.parse(JSON.stringify(desiredObjects(spec).find((o) => o.kind === 'Deployment')));
    deployment.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    const roundTrip = ObjectSerializer.serialize(ObjectSerializer.deserialize(deployment, 'V1Deployment', ''), 'V1Deployment', '');
    expect(roundTrip).not.toEqual(deployment);
  });

  it('names, ports and probes point at each other', () => {
    const objects = desiredObjects(spec);
    const deployment = objects.find((o) => o.kind === 'Deployment')! as any;
    const service = objects.find((o) => o.kind === 'Service')! as any;
    const container = deployment.spec.template.spec.containers[0];
    const portNames = container.ports.map((p: { name: string }) => p.name);
    for (const p of service.spec.ports) expect(container.ports.map((c: { containerPort: number }) => c.containerPort)).toContain(p.targetPort);
    expect(portNames).toContain(container.readinessProbe.httpGet.port);
    expect(portNames).toContain(container.livenessProbe.httpGet.port);
    for (const mount of container.volumeMounts) expect(deployment.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toContain(mount.name);
    const app = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'azureml-fe-app')! as any;
    expect(container.command).toEqual(['node', `/app/${Object.keys(app.data)[0]}`]);
    expect(
      Object.keys(deployment.spec.selector.matchLabels).every((k) => deployment.spec.template.metadata.labels[k] === deployment.spec.selector.matchLabels[k]),
    ).toBe(true);
    // Unprivileged container ports: the image's non-root user can bind them.
    for (const port of container.ports) expect(port.containerPort).toBeGreaterThan(1024);
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});
