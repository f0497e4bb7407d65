// Checks a parsed scenario: the JSON Schema (ajv), then what a schema cannot say
// (unique phase names, thresholds naming phases, threshold grammar, the URL).
// Every problem is returned, each as one readable line with its JSON path.
import { compileSchema, type ErrorObject, type ValidateFunction } from './ajv.js';
import { UsageError } from '../errors.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { displayUrl } from '../plan/build-plan.js';
import { expectedText, SCENARIO_OPTION_KEYS, SCENARIO_SCHEMA, type SchemaNode } from './scenario-schema.js';
import { describeValue, formatPath, suggest, valueAt, type JsonPath, type Problem } from './scenario-problems.js';

// Compiled on first use: the CLI loads this module for every command.
let compiled: ValidateFunction | undefined;
const schemaValidator = (): ValidateFunction => (compiled ??= compileSchema(SCENARIO_SCHEMA, true));

export function validateScenarioData(data: unknown): Problem[] {
  const validateSchema = schemaValidator();
  const schemaProblems = validateSchema(data) ? [] : schemaErrorsToProblems(validateSchema.errors ?? [], data);
  return [...schemaProblems, ...semanticProblems(data)];
}

function schemaErrorsToProblems(errors: ErrorObject[], data: unknown): Problem[] {
  // An anyOf that failed says it all; the failures of its branches are noise.
  const failedAnyOf = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const relevant = errors.filter((e) => !failedAnyOf.some((prefix) => e.schemaPath.startsWith(prefix)));
  const byPath = new Map<string, Problem>();
  for (const error of relevant) {
    const problem = toProblem(error, data);
    const key = formatPath(problem.path);
    if (!byPath.has(key)) byPath.set(key, problem);
  }
  return [...byPath.values()];
}

function toProblem(error: ErrorObject, data: unknown): Problem {
  const path = pointerToPath(error.instancePath, data);
  const node = schemaNodeAt(error.schemaPath.split('/').slice(1, -1));
  const properties = (node?.['properties'] ?? {}) as Record<string, SchemaNode>;
  if (error.keyword === 'additionalProperties') {
    const key = String((error.params as { additionalProperty: string }).additionalProperty);
    return { path: [...path, key], message: unknownKeyMessage(key, path, Object.keys(properties)) };
  }
  if (error.keyword === 'required') {
    const key = String((error.params as { missingProperty: string }).missingProperty);
    return { path: [...path, key], message: `missing, expected ${expectedText(properties[key]) ?? 'a value'}` };
  }
  const expected = expectedText(node) ?? genericExpected(error);
  return { path, message: `expected ${expected}, got ${describeValue(valueAt(data, path))}` };
}

function unknownKeyMessage(key: string, parentPath: JsonPath, known: string[]): string {
  const inPhaseOrDefaults = known.includes('connections');
  if (inPhaseOrDefaults && key === 'threshold') {
    return 'unknown key (thresholds go in the top-level "thresholds" map, under the phase name or "*")';
  }
  const hint = suggest(key, known);
  if (hint) return `unknown key (did you mean "${hint}"?)`;
  if (parentPath.length === 0 && suggest(key, SCENARIO_OPTION_KEYS)) {
    return `unknown key (run options go in "defaults" or in a phase)`;
  }
  if (inPhaseOrDefaults) return `unknown key (not a run option; see scenarios/scenario.schema.json)`;
  return `unknown key (expected one of ${known.join(', ')})`;
}

function genericExpected(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `a value of type ${String(params['type'])}`;
    case 'enum':
      return `one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minLength':
      return 'a non-empty string';
    case 'minItems':
      return `at least ${String(params['limit'])} item(s)`;
    default:
      return error.message ?? error.keyword;
  }
}

/** `/phases/1/depth` -> ['phases', 1, 'depth'], numbers where the data is an array. */
function pointerToPath(pointer: string, data: unknown): JsonPath {
  const path: JsonPath = [];
  let current = data;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(current) ? Number(segment) : segment;
    path.push(step);
    current = typeof current === 'object' && current !== null ? (current as Record<string | number, unknown>)[step] : undefined;
  }
  return path;
}

function schemaNodeAt(segments: string[]): SchemaNode | null {
  let node: unknown = SCENARIO_SCHEMA;
  for (const raw of segments) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return null;
    node = (node as Record<string, unknown>)[segment];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function semanticProblems(data: unknown): Problem[] {
  if (!isObject(data)) return [];
  const problems: Problem[] = [];
  const target = data['target'];
  if (typeof target === 'string' && target !== '' && !isHttpUrl(target)) {
    problems.push({ path: ['target'], message: `expected an http:// or https:// URL, got ${describeValue(displayUrl(target))}` });
  }
  const phaseNames: string[] = [];
  if (Array.isArray(data['phases'])) {
    const firstIndex = new Map<string, number>();
    data['phases'].forEach((phase, i) => {
      const name = isObject(phase) ? phase['name'] : undefined;
      if (typeof name !== 'string') return;
      const earlier = firstIndex.get(name);
      if (earlier === undefined) {
        firstIndex.set(name, i);
        phaseNames.push(name);
      } else {
        problems.push({ path: ['phases', i, 'name'], message: `expected a name no other phase has, got ${describeValue(name)} (as phases[${earlier}])` });
      }
    });
  }
  const thresholds = data['thresholds'];
  if (isObject(thresholds)) {
    for (const [key, expressions] of Object.entries(thresholds)) {
      if (key !== '*' && Array.isArray(data['phases']) && !phaseNames.includes(key)) {
        const hint = suggest(key, phaseNames);
        problems.push({
          path: ['thresholds', key],
          message: `expected the name of a phase or "*", got ${describeValue(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
      if (Array.isArray(expressions)) problems.push(...thresholdProblems(expressions, ['thresholds', key]));
    }
  }
  return problems;
}

function thresholdProblems(expressions: unknown[], path: JsonPath): Problem[] {
  const problems: Problem[] = [];
  expressions.forEach((expression, i) => {
    if (typeof expression !== 'string') return; // the schema reported it
    try {
      parseThreshold(expression);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push({ path: [...path, i], message: err.message });
    }
  });
  return problems;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
