// ajv, loaded when a command first validates a document (a scenario file, a result given to
// `report`): the other commands never load it, which took about 22 ms of every start.
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';

export type { ErrorObject, ValidateFunction } from 'ajv';

/** The validator of `schema`, reporting every error; `strict`: ajv's strict mode (unknown keywords are errors). */
export function compileSchema(schema: object, strict: boolean): ValidateFunction {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof AjvModule;
  return new Ajv({ allErrors: true, strict }).compile(schema);
}
