/**
 * `@berth/sdk/node`: what needs Node beyond HTTP (Berth's home folder, the
 * environment, local files), kept out of the main entry so that it runs in a
 * browser too. Everything else is imported from `@berth/sdk`.
 */
export { berthHome, clientFromEnvironment, ConnectionSettingsError, resolveConnection } from './home-folder.js';
export type { ConnectionOptions } from './home-folder.js';
export { workspaceFromConfig } from './workspace-config.js';
export type { WorkspaceConfigOptions } from './workspace-config.js';
export { readSslPemFiles } from './pem-files.js';
export type { SslPemFiles } from './pem-files.js';
