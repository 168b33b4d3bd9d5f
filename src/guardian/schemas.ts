// Request bodies of Guardian's routes (TypeBox), and a validator that checks
// types strictly: Fastify's default Ajv setup coerces (a number would pass as
// a string) and strips unknown members; a device's request must be exactly
// the right types, while extra members are allowed for forward compatibility.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifySchemaCompiler } from 'fastify';
import { NexusError } from '../core/errors.ts';

export const EnrollBody = Type.Object(
  {
    enrollment_code: Type.String({ minLength: 1, maxLength: 200 }),
    device_name: Type.Optional(Type.String({ maxLength: 200 })),
    csr: Type.Optional(Type.String({ minLength: 1, maxLength: 64 * 1024 })),
  },
  { additionalProperties: true },
);
export type EnrollBody = Static<typeof EnrollBody>;

export const TokenBody = Type.Object(
  {
    device_id: Type.String({ minLength: 1, maxLength: 200 }),
    device_secret: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: true },
);
export type TokenBody = Static<typeof TokenBody>;

export const typeboxValidator: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = TypeCompiler.Compile(schema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const first = check.Errors(data).First();
    const where = first?.path ? first.path.slice(1).replace(/\//g, '.') : '';
    const detail = first ? `${where || 'body'}: ${first.message}` : 'the body does not match the schema';
    return { error: new NexusError('invalid_request', `The request body is not valid: ${detail}.`, { status: 400 }) };
  };
};
