import { Type, type Static } from '@sinclair/typebox';

/** ARM's tag limits: at most 50 tags, names up to 512 characters and values up to 256, no control characters. */
export const Tags = Type.Record(Type.String(), Type.String({ maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }), {
  description: 'Resource tags',
  maxProperties: 50,
  propertyNames: { minLength: 1, maxLength: 512, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
});

/**
 * An ARM location as a client writes it: a region name (`westus`) or display
 * name (`West US`). Bounded and plain, as it goes into operation URLs and headers.
 */
export const Location = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ]*$' });

/** An ARM error: what `{"error": ...}` holds, in responses and in failed operations. */
export const ArmErrorDetail = Type.Object({
  code: Type.String(),
  message: Type.String(),
  target: Type.Optional(Type.String()),
  details: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String(), target: Type.Optional(Type.String()) }))),
});

export const ArmErrorResponse = Type.Object({ error: ArmErrorDetail });

const OperationState = Type.Union([Type.Literal('InProgress'), Type.Literal('Succeeded'), Type.Literal('Failed'), Type.Literal('Canceled')]);

/** One step of a long-running operation, as its status lists them. */
export const OperationStep = Type.Object({ name: Type.String(), status: OperationState, startTime: Type.String(), endTime: Type.Optional(Type.String()) });
export type OperationStep = Static<typeof OperationStep>;

/** ARM's operation status (common-types `OperationStatusResult`); `operations` lists the steps gone through, the current one last. */
export const OperationStatus = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: OperationState,
  startTime: Type.String(),
  endTime: Type.Optional(Type.String()),
  error: Type.Optional(ArmErrorDetail),
  operations: Type.Optional(Type.Array(OperationStep)),
});
