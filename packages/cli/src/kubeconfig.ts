import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

/** Merges `incoming` into the kubeconfig at `path` (entries of the same name are replaced) and makes its context current. */
export async function mergeKubeconfig(path: string, incoming: any): Promise<string> {
  const existing: any = existsSync(path) ? (parseYaml(readFileSync(path, 'utf8')) ?? {}) : {};
  const merged: any = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...existing };
  for (const section of ['clusters', 'contexts', 'users']) {
    const names = new Set((incoming[section] ?? []).map((e: { name: string }) => e.name));
    merged[section] = [...(existing[section] ?? []).filter((e: { name: string }) => !names.has(e.name)), ...(incoming[section] ?? [])];
  }
  merged['current-context'] = incoming['current-context'];
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, toYaml(merged), { mode: 0o600 });
  await chmod(path, 0o600);
  return incoming['current-context'];
}

/** Where kubectl looks: the first file of KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const first = process.env.KUBECONFIG?.split(delimiter).find(Boolean);
  return first ?? join(homedir(), '.kube', 'config');
}
