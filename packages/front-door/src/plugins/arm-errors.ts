import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ArmError } from '@berth/arm';

/** Fastify's own failures, as the ARM errors a client expects. */
function fromFastifyError(err: FastifyError, request: FastifyRequest): ArmError | undefined {
  if (err.validation) {
    // A propertyNames failure is reported twice by Ajv: keep the one that says which rule the name broke.
    const details = err.validation
      .filter((v) => v.keyword !== 'propertyNames')
      .map((v) => {
        const named = (v as { propertyName?: string }).propertyName;
        const where = `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`;
        const subject = named === undefined ? `'${where}'` : `The name '${named.length > 40 ? `${named.slice(0, 40)}…` : named}' in '${where}'`;
        const extra = (v.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] }) ?? {};
        const what = extra.allowedValues ? `${v.message}: ${extra.allowedValues.join(', ')}` : v.message;
        return { code: 'InvalidRequestContent', target: where, message: `${subject} ${what}.` };
      });
    return new ArmError(400, 'InvalidRequestContent', `The request content is not valid: ${details.map((d) => d.message).join(' ')}`, { details });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ArmError(413, 'RequestEntityTooLarge', 'The request body is larger than the 1 MiB this API accepts. Send a smaller body.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ArmError(
        415,
        'UnsupportedMediaType',
        `The content type '${String(request.headers['content-type'] ?? '').slice(0, 200)}' is not supported. Send 'Content-Type: application/json'.`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ArmError(400, 'InvalidRequestContent', 'The request body is empty; this call needs a JSON body.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ArmError(400, 'InvalidRequestContent', 'The Content-Length header does not match the body.');
  }
  if (err.statusCode === 400 && (err instanceof SyntaxError || /JSON/.test(err.message))) {
    return new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${err.message}`);
  }
  return undefined;
}

/** One error shape for every failure: `{"error":{code,message,target?,details?}}`; 5xx causes are logged, not returned. */
export const armErrors = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const armError = err instanceof ArmError ? err : fromFastifyError(err, request);
      // A refusal sent before the body arrived closes the connection: nobody waits for, or buffers, an unwanted body.
      if (!request.raw.complete) reply.header('connection', 'close');
      if (armError) {
        if (armError.statusCode >= 500) request.log.error({ err }, 'request failed');
        for (const [k, v] of Object.entries(armError.headers ?? {})) reply.header(k, v);
        return reply.code(armError.statusCode).send(armError.toBody());
      }
      request.log.error({ err }, 'unexpected error');
      return reply.code(500).send({
        error: { code: 'InternalServerError', message: `The server failed to process the request. Quote request id ${request.id} when reporting it.` },
      });
    });
    app.setNotFoundHandler((request, reply) => {
      reply.code(404).send({
        error: { code: 'NotFound', message: `No route matches ${request.method} ${request.url.split('?')[0]}.` },
      });
    });
  },
  { name: 'arm-errors' },
);
