import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { newToken } from '@berth/front-door';

/** Files in Berth's home folder that clients read. */
export const homeFiles = { token: 'token', config: 'config.json', ca: 'ca.pem', database: 'berth.db' } as const;

export interface HomeConfig {
  /** The URL `berth up` serves, recorded for the CLI and SDK. */
  endpoint: string;
}

export function resolveHome(option?: string): string {
  return resolve(option ?? process.env.BERTH_HOME ?? join(homedir(), '.berth'));
}

/** The admin token, created (mode 0600) on first start. */
export async function loadOrCreateAdminToken(home: string): Promise<string> {
  const path = join(home, homeFiles.token);
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const token = newToken();
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return token;
}

export async function writeHomeConfig(home: string, config: HomeConfig): Promise<void> {
  await writeFile(join(home, homeFiles.config), `${JSON.stringify(config, null, 2)}\n`);
}
