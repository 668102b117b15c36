import { Type, type Static } from '@sinclair/typebox';

/** `GET /metadata/endpoints?api-version=2015-01-01`: what `az cloud register --endpoint-resource-manager` reads (Azure Stack's object form). */
export const MetadataEndpoints = Type.Object({
  galleryEndpoint: Type.String(),
  graphEndpoint: Type.String(),
  portalEndpoint: Type.String(),
  authentication: Type.Object({ loginEndpoint: Type.String(), audiences: Type.Array(Type.String()) }),
});
export type MetadataEndpoints = Static<typeof MetadataEndpoints>;

/** One cloud of `GET /metadata/endpoints?api-version=2019-05-01` (what `ARM_CLOUD_METADATA_URL` points at), keyed as Azure's public cloud answers. */
export const CloudMetadata = Type.Object({
  name: Type.String(),
  resourceManager: Type.String(),
  portal: Type.String(),
  gallery: Type.String(),
  graph: Type.String(),
  graphAudience: Type.String(),
  microsoftGraphResourceId: Type.String(),
  sqlManagement: Type.String(),
  batch: Type.String(),
  media: Type.String(),
  vmImageAliasDoc: Type.String(),
  activeDirectoryDataLake: Type.String(),
  authentication: Type.Object({
    loginEndpoint: Type.String(),
    audiences: Type.Array(Type.String()),
    tenant: Type.String(),
    identityProvider: Type.String(),
  }),
  suffixes: Type.Object({
    storage: Type.String(),
    keyVaultDns: Type.String(),
    mhsmDns: Type.String(),
    acrLoginServer: Type.String(),
    sqlServerHostname: Type.String(),
    mysqlServerEndpoint: Type.String(),
    postgresqlServerEndpoint: Type.String(),
    mariadbServerEndpoint: Type.String(),
    azureDataLakeStoreFileSystem: Type.String(),
    azureDataLakeAnalyticsCatalogAndJob: Type.String(),
    azureFrontDoorEndpointSuffix: Type.String(),
    storageSyncEndpointSuffix: Type.String(),
    synapseAnalytics: Type.String(),
  }),
});
export type CloudMetadata = Static<typeof CloudMetadata>;

export const CloudMetadataList = Type.Array(CloudMetadata);
