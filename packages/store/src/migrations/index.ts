import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-27_initial.js';
import * as kubernetes from './2026-11-28_kubernetes.js';
import * as resourceSecrets from './2026-11-29_resource-secrets.js';
import * as tokenExpiry from './2026-12-07_token-expiry.js';
import * as servicePrincipals from './2026-12-07b_service-principals.js';
import * as studioSessions from './2026-12-07c_studio-sessions.js';
import * as operationSteps from './2026-12-07d_operation-steps.js';
import * as credentialCreators from './2026-12-08a_credential-creators.js';
import * as readerRoleGuid from './2026-12-08d_reader-role-guid.js';

/** Migrations in order; names are date-prefixed so they sort (a letter after the date orders a day's second one). */
const migrations: Record<string, Migration> = {
  '2026-11-27_initial': initial,
  '2026-11-28_kubernetes': kubernetes,
  '2026-11-29_resource-secrets': resourceSecrets,
  '2026-12-07_token-expiry': tokenExpiry,
  '2026-12-07b_service-principals': servicePrincipals,
  '2026-12-07c_studio-sessions': studioSessions,
  '2026-12-07d_operation-steps': operationSteps,
  '2026-12-08a_credential-creators': credentialCreators,
  '2026-12-08d_reader-role-guid': readerRoleGuid,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
