import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { homeFiles, type HomeConfig } from './home.js';

export interface Connection {
  endpoint: string;
  token: string;
  ca?: string;
}

/** Connection settings, in order: environment (`BERTH_ENDPOINT`, `BERTH_TOKEN`), then Berth's home folder. */
export function connectionFrom(home: string): Connection {
  const read = (file: string) => {
    const path = join(home, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const config = read(homeFiles.config);
  const endpoint = process.env.BERTH_ENDPOINT ?? (config ? (JSON.parse(config) as HomeConfig).endpoint : undefined);
  const token = process.env.BERTH_TOKEN ?? read(homeFiles.token)?.trim();
  if (!endpoint || !token) {
    throw new CliError(`No Berth found in ${home}: start one with \`berth up\`, or pass --home / set BERTH_HOME (or BERTH_ENDPOINT and BERTH_TOKEN).`);
  }
  return { endpoint, token, ca: read(homeFiles.ca) };
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** One HTTPS call to Berth's API; network and ARM errors become one-line `CliError`s. */
export function callApi(connection: Connection, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const url = new URL(path, connection.endpoint);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method,
        ca: connection.ca,
        headers: {
          authorization: `Bearer ${connection.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text ? (JSON.parse(text) as unknown) : undefined;
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const error = (parsed as { error?: { code?: string; message?: string } })?.error;
            reject(new CliError(`${error?.code ?? `HTTP ${status}`}: ${error?.message ?? text}`));
            return;
          }
          resolvePromise({ status, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code ?? '')
        ? `its certificate is not trusted; use the ca.pem of that Berth's home folder`
        : `is it running? Start it with \`berth up\``;
      reject(new CliError(`Cannot reach Berth at ${connection.endpoint} (${err.code ?? err.message}): ${hint}.`));
    });
    req.end(payload);
  });
}
