// Bundles azureml-fe into one minified ESM file, dist/azureml-fe.mjs, that runs with `node azureml-fe.mjs`
// on node:20-alpine. It ships inside a ConfigMap (1 MiB at most), so the build fails above MAX_BYTES.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAX_BYTES = 900 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/azureml-fe.mjs`;
await build({
  entryPoints: [`${root}src/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // For any CommonJS dependency that calls require() on a Node built-in.
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
});
const size = statSync(outfile).size;
if (size > MAX_BYTES) throw new Error(`${outfile} is ${size} bytes, above the ${MAX_BYTES} a ConfigMap can carry with room to spare`);
