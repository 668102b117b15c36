import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's azure-cli puts `az`; the tests that need it are skipped, saying so, where it is missing. */
export const AZ = '/usr/bin/az';
export const azAvailable = existsSync(AZ);

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installed CLI's version, read from its package with the interpreter `az` runs on (`az version` would call out for the latest). */
function installedVersion(): string {
  return execFileSync('/usr/bin/python3', ['-c', 'import azure.cli.core; print(azure.cli.core.__version__)'], { encoding: 'utf8' }).trim();
}

/**
 * The real Azure CLI, isolated and offline: its own config folder with a fresh
 * version-check record (else it calls azure.microsoft.com), telemetry off,
 * Berth's CA as the only trust for MSAL and ARM calls, and a timeout on every
 * command (the CLI retries 5xx answers for minutes).
 */
export function azureCli(caFile: string) {
  const configDir = mkdtempSync(join(tmpdir(), 'berth-az-'));
  const version = installedVersion();
  const now = new Date();
  const stamp = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')} ${now.toTimeString().slice(0, 8)}.000000`;
  writeFileSync(
    join(configDir, 'versionCheck.json'),
    JSON.stringify({ versions: { 'azure-cli': { local: version, pypi: version }, core: { local: version, pypi: version } }, update_time: stamp }),
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: configDir,
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    AZURE_CORE_SURVEY_MESSAGE: 'false',
    REQUESTS_CA_BUNDLE: caFile,
    SSL_CERT_FILE: caFile,
    KUBECONFIG: join(configDir, 'kubeconfig'),
  };
  return {
    configDir,
    env,
    run(args: string[], options: { timeoutMs?: number } = {}): Promise<AzResult> {
      return new Promise((resolve) => {
        execFile(AZ, args, { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      });
    },
    cleanup(): void {
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
