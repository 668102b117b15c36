import { Type } from '@sinclair/typebox';

export const Tags = Type.Record(Type.String(), Type.String(), { description: 'Resource tags' });

export const ArmErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    target: Type.Optional(Type.String()),
    details: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String(), target: Type.Optional(Type.String()) }))),
  }),
});

export const OperationStatus = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('InProgress'), Type.Literal('Succeeded'), Type.Literal('Failed'), Type.Literal('Canceled')]),
  startTime: Type.String(),
  endTime: Type.Optional(Type.String()),
  error: Type.Optional(
    Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String(), target: Type.Optional(Type.String()) }))),
    }),
  ),
});
