import { createHash } from 'node:crypto';
import {
  ANNOTATION_AUTH_SECRET,
  APP_CONFIG_NAME,
  APP_FILE,
  APP_MOUNT_PATH,
  ANNOTATION_COMPUTE_ID,
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_VERSION,
  CONFIG_NAME,
  FE_NAME,
  HTTP_PORT,
  HTTPS_PORT,
  INSTALLER_VERSION,
  INTERNAL_LB,
  INTERNAL_LB_SUBNET,
  LABEL_COMPONENT,
  LABEL_COMPUTE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGED_BY,
  NAMESPACE,
  SECRET_READER_NAME,
  TLS_MOUNT_PATH,
  TLS_SECRET_NAME,
} from './constants.js';
import { computeLabel, replicasFor, type InstallSpec, type KubeObject } from './install-spec.js';

/** Scoring settings of the front end (what the original's azureml-fe config carries). */
const SCORING_TIMEOUT_MS = 60_000;
const SCORING_MAX_CONCURRENT_REQUESTS = 1000;

const RBAC = 'rbac.authorization.k8s.io';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The image pull policy the API server would default to, made explicit so drift in it shows. */
function pullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Labels and annotations of every object Berth installs for a compute. */
function ownerMeta(spec: InstallSpec, name: string, namespace: string | undefined) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_NAME]: FE_NAME, [LABEL_COMPUTE]: computeLabel(spec.computeId) },
    annotations: { [ANNOTATION_COMPUTE_ID]: spec.computeId, [ANNOTATION_VERSION]: INSTALLER_VERSION },
  };
}

/**
 * What lets the front end read the key Secrets of the scoring Services (those named in their
 * `berth.dev/auth-secret`) and no other: in each namespace that has such Services, a Role that may `get`
 * just those Secrets by name, bound to the front end's ServiceAccount. Pure: same Services, same objects.
 */
export function secretReaderObjects(spec: InstallSpec, scoringServices: KubeObject[]): KubeObject[] {
  const byNamespace = new Map<string, Set<string>>();
  for (const service of scoringServices) {
    const secret = service.metadata.annotations?.[ANNOTATION_AUTH_SECRET];
    const namespace = service.metadata.namespace;
    if (!secret || !namespace || service.metadata.deletionTimestamp) continue;
    byNamespace.set(namespace, (byNamespace.get(namespace) ?? new Set()).add(secret));
  }
  return [...byNamespace.keys()].sort().flatMap((namespace): KubeObject[] => [
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata: ownerMeta(spec, SECRET_READER_NAME, namespace),
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [...byNamespace.get(namespace)!].sort(), verbs: ['get'] }],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: ownerMeta(spec, SECRET_READER_NAME, namespace),
      roleRef: { apiGroup: RBAC, kind: 'Role', name: SECRET_READER_NAME },
      subjects: [{ kind: 'ServiceAccount', name: FE_NAME, namespace: NAMESPACE }],
    },
  ]);
}

/**
 * Every object Berth installs for a compute, in creation order: the namespace,
 * cluster-scoped RBAC, then the namespaced objects (config and secret before
 * the Deployment that uses them, the Service last). Pure: same spec, same objects.
 */
export function desiredObjects(spec: InstallSpec): KubeObject[] {
  const compute = computeLabel(spec.computeId);
  const tls = spec.tls;
  const internal = spec.loadBalancerType === 'InternalLoadBalancer';

  const annotations = (): Record<string, string> => ({ [ANNOTATION_COMPUTE_ID]: spec.computeId, [ANNOTATION_VERSION]: INSTALLER_VERSION });
  const labels = (withName = true): Record<string, string> => ({
    [LABEL_MANAGED_BY]: MANAGED_BY,
    ...(withName ? { [LABEL_NAME]: FE_NAME } : {}),
    [LABEL_COMPUTE]: compute,
  });
  const meta = (
    name: string,
    namespaced: boolean,
    extra: { labels?: Record<string, string>; annotations?: Record<string, string>; withName?: boolean } = {},
  ) => ({
    name,
    ...(namespaced ? { namespace: NAMESPACE } : {}),
    labels: { ...labels(extra.withName ?? true), ...extra.labels },
    annotations: { ...annotations(), ...extra.annotations },
  });
  const selector = { [LABEL_NAME]: FE_NAME, [LABEL_COMPUTE]: compute };

  const configData: Record<string, string> = {
    CLUSTER_PURPOSE: spec.clusterPurpose,
    WORKSPACE_NAME: spec.workspaceName,
    WORKSPACE_ID: spec.workspaceId,
    COMPUTE_NAME: spec.computeName,
    COMPUTE_ID: spec.computeId,
    HTTP_PORT: String(HTTP_PORT),
    SCORING_TIMEOUT_MS: String(SCORING_TIMEOUT_MS),
    SCORING_MAX_CONCURRENT_REQUESTS: String(SCORING_MAX_CONCURRENT_REQUESTS),
    TLS_ENABLED: tls ? 'true' : 'false',
    TLS_CNAME: tls?.cname ?? '',
    LOAD_BALANCER_TYPE: spec.loadBalancerType,
    LOAD_BALANCER_SUBNET: internal ? (spec.loadBalancerSubnet ?? '') : '',
    ...(tls ? { HTTPS_PORT: String(HTTPS_PORT), TLS_CERT_FILE: `${TLS_MOUNT_PATH}/cert.pem`, TLS_KEY_FILE: `${TLS_MOUNT_PATH}/key.pem` } : {}),
  };
  const secretData = tls ? { 'cert.pem': base64(tls.certPem), 'key.pem': base64(tls.keyPem) } : undefined;
  // Pods read the config and the router at start: a change of either rolls them. The certificate and its CNAME
  // are not in the hash: the router reloads the certificate from its mounted Secret (the CNAME is informational),
  // so a new certificate takes effect without a restart.
  const rolling = Object.fromEntries(Object.entries(configData).filter(([key]) => key !== 'TLS_CNAME'));
  const configHash = createHash('sha256')
    .update(JSON.stringify({ rolling, router: spec.router }))
    .digest('hex')
    .slice(0, 16);

  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(NAMESPACE, false, { withName: false }) },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: meta(FE_NAME, false),
      // What the router watches everywhere: scoring Services and their EndpointSlices. The key Secrets they name are
      // granted one by one, in their namespaces (secretReaderObjects), never all Secrets.
      rules: [
        { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: meta(FE_NAME, false),
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: FE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: FE_NAME, namespace: NAMESPACE }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(FE_NAME, true) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(CONFIG_NAME, true), data: configData },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(APP_CONFIG_NAME, true), data: { [APP_FILE]: spec.router } },
  ];
  if (secretData) {
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(TLS_SECRET_NAME, true), type: 'Opaque', data: secretData });
  }
  objects.push(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(FE_NAME, true, { labels: { [LABEL_COMPONENT]: 'inference-frontend' } }),
      spec: {
        replicas: replicasFor(spec.clusterPurpose),
        selector: { matchLabels: selector },
        // Upgrades never take a ready replica away before its successor is ready.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        template: {
          metadata: {
            labels: { ...labels(), [LABEL_COMPONENT]: 'inference-frontend' },
            annotations: { [ANNOTATION_CONFIG_HASH]: configHash },
          },
          spec: {
            serviceAccountName: FE_NAME,
            // The Node.js images' `node` user; fsGroup lets it read the mounted Secret.
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
            ],
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
            containers: [
              {
                name: FE_NAME,
                image: spec.image,
                imagePullPolicy: pullPolicy(spec.image),
                command: ['node', `${APP_MOUNT_PATH}/${APP_FILE}`],
                ports: [
                  { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
                  ...(tls ? [{ name: 'https', containerPort: HTTPS_PORT, protocol: 'TCP' }] : []),
                ],
                envFrom: [{ configMapRef: { name: CONFIG_NAME } }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' },
                  initialDelaySeconds: 0,
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  successThreshold: 1,
                  failureThreshold: 2,
                },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  successThreshold: 1,
                  failureThreshold: 3,
                },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'app', mountPath: APP_MOUNT_PATH, readOnly: true },
                  ...(tls ? [{ name: 'tls', mountPath: TLS_MOUNT_PATH, readOnly: true }] : []),
                ],
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'File',
              },
            ],
            volumes: [
              { name: 'app', configMap: { name: APP_CONFIG_NAME, defaultMode: 0o444 } },
              ...(tls ? [{ name: 'tls', secret: { secretName: TLS_SECRET_NAME, defaultMode: 0o440 } }] : []),
            ],
            restartPolicy: 'Always',
            dnsPolicy: 'ClusterFirst',
            schedulerName: 'default-scheduler',
            terminationGracePeriodSeconds: 30,
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(FE_NAME, true, {
        annotations: internal ? { [INTERNAL_LB]: 'true', ...(spec.loadBalancerSubnet ? { [INTERNAL_LB_SUBNET]: spec.loadBalancerSubnet } : {}) } : {},
      }),
      spec: {
        type: 'LoadBalancer',
        selector,
        ports: [
          { name: 'http', port: 80, targetPort: HTTP_PORT, protocol: 'TCP' },
          ...(tls ? [{ name: 'https', port: 443, targetPort: HTTPS_PORT, protocol: 'TCP' }] : []),
        ],
        sessionAffinity: 'None',
        externalTrafficPolicy: 'Cluster',
      },
    },
  );
  return objects;
}
