import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ArmError } from '@berth/arm';
import { CloudMetadataList, MetadataEndpoints, type CloudMetadata } from '@berth/shapes';
import { apiVersionOf, baseUrl } from '../arm-http.js';

/** The object form (Azure Stack's, what `az cloud register --endpoint-resource-manager` reads). */
export const OBJECT_FORM_API_VERSIONS = ['2015-01-01'] as const;
/** The array form (`ARM_CLOUD_METADATA_URL`), at the versions Azure's own endpoint answers. */
export const ARRAY_FORM_API_VERSIONS = ['2019-05-01', '2020-06-01', '2022-09-01'] as const;
const SUPPORTED: readonly string[] = [...OBJECT_FORM_API_VERSIONS, ...ARRAY_FORM_API_VERSIONS];

/** The audience the Azure CLI asks tokens for (its `management` endpoint), then Berth's own. */
function audiences(base: string): string[] {
  return ['https://management.core.windows.net/', `${base}/`];
}

function hostOf(base: string): string {
  try {
    return new URL(base).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

function objectForm(base: string): MetadataEndpoints {
  return {
    galleryEndpoint: `${base}/gallery/`,
    graphEndpoint: `${base}/graph/`,
    portalEndpoint: `${base}/`,
    authentication: { loginEndpoint: `${base}/adfs`, audiences: audiences(base) },
  };
}

/** Berth as one cloud: ADFS-style authority (so MSAL skips instance discovery), every endpoint under Berth's public URL. */
function cloud(base: string): CloudMetadata {
  const host = hostOf(base);
  return {
    name: 'Berth',
    resourceManager: `${base}/`,
    portal: `${base}/`,
    gallery: `${base}/gallery/`,
    graph: `${base}/graph/`,
    graphAudience: `${base}/graph/`,
    microsoftGraphResourceId: `${base}/graph/`,
    sqlManagement: `${base}/sql/`,
    batch: `${base}/batch/`,
    media: `${base}/media/`,
    vmImageAliasDoc: `${base}/gallery/aliases.json`,
    activeDirectoryDataLake: `${base}/datalake/`,
    authentication: { loginEndpoint: `${base}/adfs`, audiences: audiences(base), tenant: 'adfs', identityProvider: 'ADFS' },
    suffixes: {
      storage: `storage.${host}`,
      keyVaultDns: `.vault.${host}`,
      mhsmDns: `.managedhsm.${host}`,
      acrLoginServer: `.acr.${host}`,
      sqlServerHostname: `.database.${host}`,
      mysqlServerEndpoint: `.mysql.database.${host}`,
      postgresqlServerEndpoint: `.postgres.database.${host}`,
      mariadbServerEndpoint: `.mariadb.database.${host}`,
      azureDataLakeStoreFileSystem: `datalakestore.${host}`,
      azureDataLakeAnalyticsCatalogAndJob: `datalakeanalytics.${host}`,
      azureFrontDoorEndpointSuffix: `frontdoor.${host}`,
      storageSyncEndpointSuffix: `storagesync.${host}`,
      synapseAnalytics: `.synapse.${host}`,
    },
  };
}

function versionOf(request: FastifyRequest): string {
  const query = request.query as Record<string, unknown>;
  if (query['api-version'] === undefined || query['api-version'] === '') {
    throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  const version = apiVersionOf(request);
  if (!SUPPORTED.includes(version)) {
    throw new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid for the cloud metadata endpoints. The supported versions are '${SUPPORTED.join("', '")}'.`,
    );
  }
  return version;
}

/**
 * `GET /metadata/endpoints`: where clients (the Azure CLI, Terraform, the Azure SDKs)
 * learn the cloud's login endpoint and token audiences. Public, as ARM's is: it is read before signing in.
 */
export async function cloudMetadataRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/metadata/endpoints',
    { config: { access: 'public' }, schema: { response: { 200: Type.Union([MetadataEndpoints, CloudMetadataList]) } } },
    async (request) => {
      const version = versionOf(request);
      const base = baseUrl(request);
      return (OBJECT_FORM_API_VERSIONS as readonly string[]).includes(version) ? objectForm(base) : [cloud(base)];
    },
  );
}
