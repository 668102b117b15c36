import { existsSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newToken } from '@berth/front-door';

/** Files in Berth's home folder that clients read. */
export const homeFiles = { token: 'token', config: 'config.json', ca: 'ca.pem', database: 'berth.db', tokenSigningKey: 'token-signing-key.pem' } as const;

/** The only files of the home folder others may read: certificates, which hold no secret. */
const PUBLIC_FILES = new Set(['ca.pem', 'server.pem']);

/**
 * The home folder is 0700, every file in it 0600 but the public certificates, and every folder 0700,
 * even when the folder existed before with wider modes.
 */
export async function secureHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  for (const entry of await readdir(home, { withFileTypes: true })) {
    if (entry.isFile()) await chmod(join(home, entry.name), PUBLIC_FILES.has(entry.name) ? 0o644 : 0o600);
    // Folders (the workloads' files, Secrets among them) are the owner's only too.
    else if (entry.isDirectory()) await chmod(join(home, entry.name), 0o700);
  }
}

/** Creates the SQLite file 0600 before SQLite opens it: its WAL and SHM files take the database file's mode. */
export async function createPrivateFile(path: string): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  await chmod(path, 0o600);
}

export interface HomeConfig {
  /** The URL `berth up` serves, recorded for the CLI and SDK. */
  endpoint: string;
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

/** The RSA key (PKCS#8 PEM, mode 0600) that signs the token service's JWTs, created on first start. */
export async function loadOrCreateTokenSigningKey(home: string): Promise<string> {
  const path = join(home, homeFiles.tokenSigningKey);
  if (existsSync(path)) return readFile(path, 'utf8');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // 'wx': two processes starting on one home folder keep the first key.
  try {
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFile(path, 'utf8');
  }
  await chmod(path, 0o600);
  return pem;
}

export async function writeHomeConfig(home: string, config: HomeConfig): Promise<void> {
  await writeFile(join(home, homeFiles.config), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
