import { KubernetesVersionListResult, OrchestratorVersionProfileList } from '@berth/shapes';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { defaultKubernetesVersion, findRegion, isLtsOnly, listKubernetesVersions, listRegions, type KubernetesMinor } from '@berth/catalog';
import { requireApiVersion } from '@berth/front-door';
import { CONTAINER_SERVICE, KUBERNETES_VERSIONS_MINIMUM_API_VERSION, ORCHESTRATOR_API_VERSIONS } from '../managed-clusters/names.js';

const Params = Type.Object({ subscriptionId: Type.String(), location: Type.String() });

function versionsIn(location: string): { region: string; minors: KubernetesMinor[] } {
  const region = findRegion(location);
  const minors = region && listKubernetesVersions(region.name);
  if (!region || !minors) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The location '${location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'. Known locations: ${listRegions()
        .map((r) => r.name)
        .join(', ')}.`,
    );
  }
  return { region: region.name, minors };
}

/** Kubernetes versions per region, in the old "List Orchestrators" shape and the newer `kubernetesVersions` one. */
export async function versionRoutes(parent: FastifyInstance): Promise<void> {
  await parent.register(async (scope) => {
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiVersion({ versions: ORCHESTRATOR_API_VERSIONS, what: 'orchestrators' }));
    app.get(
      `/subscriptions/:subscriptionId/providers/${CONTAINER_SERVICE}/locations/:location/orchestrators`,
      { config: { access: 'read' }, schema: { params: Params, response: { 200: OrchestratorVersionProfileList } } },
      async (request) => {
        const { region, minors } = versionsIn(request.params.location);
        const offered = minors.filter((m) => !isLtsOnly(m));
        const previewOf = new Map(offered.flatMap((m) => m.patches.map((p) => [p.version, m.isPreview] as const)));
        const defaultVersion = defaultKubernetesVersion(region);
        const orchestrators = offered.flatMap((m) =>
          m.patches.map((p) => ({
            orchestratorType: 'Kubernetes',
            orchestratorVersion: p.version,
            ...(p.version === defaultVersion ? { default: true } : {}),
            ...(m.isPreview ? { isPreview: true } : {}),
            upgrades: p.upgrades
              .filter((u) => previewOf.has(u))
              .map((u) => ({ orchestratorType: '', orchestratorVersion: u, isPreview: previewOf.get(u) ?? false })),
          })),
        );
        return {
          id: `/subscriptions/${request.params.subscriptionId}/providers/${CONTAINER_SERVICE}/locations/${region}/orchestrators`,
          name: 'default',
          type: `${CONTAINER_SERVICE}/locations/orchestrators`,
          properties: { orchestrators },
        };
      },
    );
  });

  await parent.register(async (scope) => {
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireApiVersion({ minimum: KUBERNETES_VERSIONS_MINIMUM_API_VERSION, what: 'kubernetesVersions' }));
    app.get(
      `/subscriptions/:subscriptionId/providers/${CONTAINER_SERVICE}/locations/:location/kubernetesVersions`,
      { config: { access: 'read' }, schema: { params: Params, response: { 200: KubernetesVersionListResult } } },
      async (request) => {
        const { minors } = versionsIn(request.params.location);
        return {
          values: [...minors].reverse().map((m) => ({
            version: m.version,
            ...(m.isDefault ? { isDefault: true } : {}),
            ...(m.isPreview ? { isPreview: true } : {}),
            capabilities: { supportPlan: m.supportPlan },
            patchVersions: Object.fromEntries([...m.patches].reverse().map((p) => [p.version, { upgrades: [...p.upgrades].reverse() }])),
          })),
        };
      },
    );
  });
}
