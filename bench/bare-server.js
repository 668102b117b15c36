// The baseline: a bare Fastify HTTPS server with Berth's certificate, answering a constant
// (by default the body Berth answers for the benchmarked GET, so both send the same bytes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';

const [home, constantFile] = process.argv.slice(2);
const app = Fastify({ https: { key: readFileSync(join(home, 'server-key.pem')), cert: readFileSync(join(home, 'server.pem')) } });
const constant = constantFile ? JSON.parse(readFileSync(constantFile, 'utf8')) : { status: 'ok' };
app.get('/*', async () => constant);
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`ready ${app.server.address().port}\n`);
