// Validates documents against the JSON Schemas shipped in scenarios/.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ajv = new Ajv({ allErrors: true, strict: false });
const resultSchema = JSON.parse(readFileSync(fileURLToPath(new URL('../../scenarios/result.schema.json', import.meta.url)), 'utf8')) as object;
const validateResult = ajv.compile(resultSchema);

/** Throws with every schema error when `doc` is not a valid connload/result@1 document. */
export function assertValidResult(doc: unknown): void {
  if (!validateResult(doc)) throw new Error(`result does not match the schema:\n${ajv.errorsText(validateResult.errors, { separator: '\n' })}`);
}
