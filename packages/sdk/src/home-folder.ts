import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { BerthClient } from './berth-client.js';
import type { ConnectionSettings } from './rest-client.js';

export interface ConnectionOptions {
  endpoint?: string;
  token?: string;
  ca?: string;
  /** Berth's home folder; default `BERTH_HOME` or `~/.berth`. */
  home?: string;
}

export class ConnectionSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionSettingsError';
  }
}

export function berthHome(home?: string): string {
  return resolve(home ?? process.env.BERTH_HOME ?? join(homedir(), '.berth'));
}

/**
 * Connection settings, each taken from the first that has it: explicit options,
 * the environment (`BERTH_ENDPOINT`, `BERTH_TOKEN`), then Berth's home folder,
 * where `berth up` records its URL (`config.json`) next to `ca.pem` and `token`.
 */
export function resolveConnection(options: ConnectionOptions = {}): ConnectionSettings {
  const home = berthHome(options.home);
  const read = (file: string) => {
    const path = join(home, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const config = read('config.json');
  const endpoint = options.endpoint ?? process.env.BERTH_ENDPOINT ?? (config ? (JSON.parse(config) as { endpoint?: string }).endpoint : undefined);
  const token = options.token ?? process.env.BERTH_TOKEN ?? read('token')?.trim();
  if (!endpoint || !token) {
    throw new ConnectionSettingsError(
      `No Berth found in ${home}: start one with \`berth up\`, or pass --home / set BERTH_HOME (or BERTH_ENDPOINT and BERTH_TOKEN).`,
    );
  }
  return { endpoint, token, ca: options.ca ?? read('ca.pem') };
}

/** A client from explicit options, the environment (BERTH_ENDPOINT, BERTH_TOKEN, BERTH_HOME) or Berth's home folder. */
export function clientFromEnvironment(options: ConnectionOptions = {}): BerthClient {
  const c = resolveConnection(options);
  return new BerthClient(c.endpoint, c.token, { ca: c.ca });
}
