// The shipped schema is the one the code validates with, and every example
// scenario passes both the schema (as an editor would check it) and parseScenario.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/cli/scenario.js';
import { SCENARIO_SCHEMA } from '../../src/cli/scenario-schema.js';
import { RUN_OPTION_KEYS } from '../../src/plan/options.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const SCHEMA_FILE = 'scenario.schema.json';
const exampleFiles = readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
  .sort();

describe('scenarios/scenario.schema.json', () => {
  it('is the schema the code validates with (npx vitest run -u rewrites it)', async () => {
    await expect(`${JSON.stringify(SCENARIO_SCHEMA, null, 2)}\n`).toMatchFileSnapshot(`${SCENARIOS_DIR}${SCHEMA_FILE}`);
  });

  it('is draft-07 and lists every run option but threshold for phases and defaults', () => {
    const schema = JSON.parse(readFileSync(`${SCENARIOS_DIR}${SCHEMA_FILE}`, 'utf8')) as {
      $schema: string;
      properties: { defaults: { properties: object }; phases: { items: { properties: object; additionalProperties: unknown } } };
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const options = RUN_OPTION_KEYS.filter((k) => k !== 'threshold').sort();
    expect(Object.keys(schema.properties.defaults.properties).sort()).toEqual(options);
    expect(Object.keys(schema.properties.phases.items.properties).sort()).toEqual(['name', ...options].sort());
    expect(schema.properties.phases.items.additionalProperties).toBe(false);
  });
});

describe('example scenarios', () => {
  // Read in the test, so that a missing schema file fails one test, not the suite.
  const shippedSchemaValidator = () => new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(`${SCENARIOS_DIR}${SCHEMA_FILE}`, 'utf8')));

  it('exist', () => {
    expect(exampleFiles).toEqual(
      expect.arrayContaining(['keepalive-vs-new.json', 'pipelining-depths.json', 'http10-vs-http11.json', 'page-every-strategy.json', 'ci-gate.json']),
    );
  });

  it.each(exampleFiles)('%s passes the shipped schema and parseScenario', (file) => {
    const text = readFileSync(`${SCENARIOS_DIR}${file}`, 'utf8');
    const data = JSON.parse(text) as { $schema?: unknown; target?: unknown };
    const validate = shippedSchemaValidator();
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(data.$schema).toBe('./scenario.schema.json');
    expect(data.target).toBe('${TARGET:-http://127.0.0.1:8080}');
    const scenario = parseScenario(text, file, {});
    expect(scenario.target).toBe('http://127.0.0.1:8080');
    expect(parseScenario(text, file, { TARGET: 'https://staging.example.com' }).target).toBe('https://staging.example.com');
    for (const phase of scenario.phases) {
      const requests = phase.requests ?? scenario.defaults.requests;
      expect(requests, `${file} ${phase.name}: bounded by requests`).toBeLessThanOrEqual(2000);
    }
  });
});
