// What other packages use: the bundled router, to ship it (the installer puts it in a ConfigMap).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export { ANNOTATIONS, SCORING_SERVICE_LABEL, SERVICE_NAME_LABEL } from './routes.js';

/** Absolute path of the bundled router, `dist/azureml-fe.mjs` (built by `scripts/bundle.mjs`). */
export function frontEndBundlePath(): string {
  // This module compiles to dist/index.js, next to the bundle.
  return fileURLToPath(new URL('./azureml-fe.mjs', import.meta.url));
}

/** The bundled router's source, to run as `node azureml-fe.mjs`. */
export function readFrontEndBundle(): Promise<string> {
  return readFile(frontEndBundlePath(), 'utf8');
}
