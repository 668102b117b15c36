import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { checkJsonNesting, checkNesting, checkPlainData } from '../nesting.js';
import { decodeKubeProtobuf, PROTOBUF } from '../protobuf.js';
import { badRequest, KubeError } from '../status.js';
import { APPLY_PATCH, PATCH_TYPES } from './parse-request.js';

/** The body parsers of the Kubernetes API: JSON and the JSON patch types, Kubernetes protobuf, and YAML. */
export function registerContentTypes(app: FastifyInstance): void {
  // Fastify's JSON parser refuses __proto__ and constructor.prototype keys; every JSON body type goes through it.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // client-node sends `Content-Type: application/json` with an empty body on DELETE; the API server reads that as no options.
  app.addContentTypeParser(['application/json', ...PATCH_TYPES], { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      checkJsonNesting(body as string);
    } catch (err) {
      return done(err as Error, undefined);
    }
    json(request, body as string, done);
  });
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeKubeProtobuf(body as Buffer));
    } catch (err) {
      done(err instanceof KubeError ? err : badRequest(`the protobuf body cannot be decoded: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser([APPLY_PATCH, 'application/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    let value: unknown;
    try {
      value = parseYaml(body as string);
    } catch (err) {
      return done(badRequest(`the body is not valid YAML: ${(err as Error).message}`), undefined);
    }
    try {
      checkNesting(value);
      checkPlainData(value);
    } catch (err) {
      return done(err as Error, undefined);
    }
    done(null, value);
  });
}
