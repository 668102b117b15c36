import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ArmError } from '@berth/arm';

/**
 * An onRequest hook that requires `api-version` to be one of `versions`
 * (or, with `minimum`, any date-shaped version at or after it).
 */
export function requireApiVersion(spec: { versions?: readonly string[]; minimum?: string; what: string }) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const version = (request.query as Record<string, unknown>)['api-version'];
    if (version === undefined || version === '') {
      return done(new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'));
    }
    const v = String(version);
    const ok = spec.versions?.includes(v) || (spec.minimum !== undefined && /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v) && v >= spec.minimum);
    if (!ok) {
      const supported = spec.versions ? `'${spec.versions.join("', '")}'` : `'${spec.minimum}' and later`;
      return done(
        new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid for ${spec.what}. The supported versions are ${supported}.`),
      );
    }
    done();
  };
}
