import { Type, type Static } from '@sinclair/typebox';

const OrchestratorUpgrade = Type.Object({ orchestratorType: Type.String(), orchestratorVersion: Type.String(), isPreview: Type.Boolean() });

/** `GET .../locations/{location}/orchestrators` (the "List Orchestrators" answer of R7). */
export const OrchestratorVersionProfileList = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({
    orchestrators: Type.Array(
      Type.Object({
        orchestratorType: Type.String(),
        orchestratorVersion: Type.String(),
        default: Type.Optional(Type.Boolean()),
        isPreview: Type.Optional(Type.Boolean()),
        upgrades: Type.Array(OrchestratorUpgrade),
      }),
    ),
  }),
});
export type OrchestratorVersionProfileList = Static<typeof OrchestratorVersionProfileList>;

/** `GET .../locations/{location}/kubernetesVersions`. */
export const KubernetesVersionListResult = Type.Object({
  values: Type.Array(
    Type.Object({
      version: Type.String(),
      isDefault: Type.Optional(Type.Boolean()),
      isPreview: Type.Optional(Type.Boolean()),
      capabilities: Type.Object({ supportPlan: Type.Array(Type.String()) }),
      patchVersions: Type.Record(Type.String(), Type.Object({ upgrades: Type.Array(Type.String()) })),
    }),
  ),
});
export type KubernetesVersionListResult = Static<typeof KubernetesVersionListResult>;
