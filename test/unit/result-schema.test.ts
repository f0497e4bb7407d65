import { describe, expect, it } from 'vitest';
import { RESULT_JSON_SCHEMA } from '../../src/metrics/result-schema.js';

describe('scenarios/result.schema.json', () => {
  it('is the schema the code defines (run `npx vitest run -u` to rewrite it)', async () => {
    await expect(JSON.stringify(RESULT_JSON_SCHEMA, null, 2) + '\n').toMatchFileSnapshot('../../scenarios/result.schema.json');
  });
});
