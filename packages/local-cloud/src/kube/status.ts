import type { ResourceType } from './resource-types.js';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** A Kubernetes API failure, answered as a `Status` object with `code`. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number },
  ) {
    super(message);
    this.name = 'KubeError';
  }

  toStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const what = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);
const details = (t: ResourceType, name: string) => ({ name, ...(t.group ? { group: t.group } : {}), kind: t.plural });

export const notFound = (t: ResourceType, name: string) => new KubeError(404, 'NotFound', `${what(t)} "${name}" not found`, details(t, name));
export const alreadyExists = (t: ResourceType, name: string) => new KubeError(409, 'AlreadyExists', `${what(t)} "${name}" already exists`, details(t, name));
export const conflict = (t: ResourceType, name: string) =>
  new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${what(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );
export const invalid = (t: ResourceType, name: string, causes: StatusCause[]) =>
  new KubeError(422, 'Invalid', `${t.kind} "${name}" is invalid: ${causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`).join(', ')}`, {
    ...details(t, name),
    kind: t.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, ...(c.field ? { field: c.field } : {}) })),
  });
export const badRequest = (message: string) => new KubeError(400, 'BadRequest', message);
export const forbidden = (message: string) => new KubeError(403, 'Forbidden', message);
/** Kubernetes' refusal of a request its authorizer denied, word for word: `secrets "x" is forbidden: User "…" cannot get resource "secrets" in API group "" in the namespace "default"`. */
export function accessDenied(t: ResourceType, user: string, access: { verb: string; subresource?: string; namespace?: string; name?: string }): KubeError {
  const resource = access.subresource ? `${t.plural}/${access.subresource}` : t.plural;
  const where = access.namespace !== undefined ? ` in the namespace "${access.namespace}"` : ' at the cluster scope';
  return new KubeError(
    403,
    'Forbidden',
    `${what(t)}${access.name !== undefined ? ` "${access.name}"` : ''} is forbidden: User "${user}" cannot ${access.verb} resource "${resource}" in API group "${t.group}"${where}`,
    { ...(access.name !== undefined ? { name: access.name } : {}), ...(t.group ? { group: t.group } : {}), kind: t.plural },
  );
}
/** Kubernetes' refusal of a role or binding that would grant what its writer does not hold, listing each such grant. */
export const escalationRefused = (t: ResourceType, name: string, user: string, grants: string[]) =>
  new KubeError(
    403,
    'Forbidden',
    `${what(t)} "${name}" is forbidden: user "${user}" is attempting to grant RBAC permissions not currently held:\n${grants.join('\n')}`,
    details(t, name),
  );
export const unauthorized = (message = 'Unauthorized') => new KubeError(401, 'Unauthorized', message);
export const methodNotAllowed = (message: string) => new KubeError(405, 'MethodNotAllowed', message);
export const gone = (message: string) => new KubeError(410, 'Expired', message);
export const pathNotFound = (path: string) => new KubeError(404, 'NotFound', `the server could not find the requested resource (${path})`);
