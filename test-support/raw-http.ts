import { connect } from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

/**
 * One HTTP/1.1 request sent byte for byte over TLS (`Connection: close`), so a
 * test can use request targets that URL-normalizing clients never send:
 * absolute-form, dot segments, raw percent-encodings.
 */
export function rawHttps(
  baseUrl: string,
  ca: string,
  method: string,
  target: string,
  o: { token?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = {
    host: `${hostname}:${port}`,
    connection: 'close',
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    ...(o.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(o.body)) } : {}),
    ...o.headers,
  };
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: hostname === '127.0.0.1' ? undefined : hostname });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${method} ${target} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
    // write(), not end(): a TLS close_notify from the client makes the server drop the connection before it answers.
    socket.on('secureConnect', () => socket.write(head + (o.body ?? '')));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = raw.slice(0, split).split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      const parsed: Record<string, string> = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        parsed[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      let text = raw.slice(split + 4);
      if (parsed['transfer-encoding'] === 'chunked') text = unchunk(text);
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (!Number.isInteger(status)) reject(new Error(`no HTTP answer to ${method} ${target}: ${JSON.stringify(raw.slice(0, 200))}`));
      else resolve({ status, headers: parsed, text, body });
    });
  });
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
