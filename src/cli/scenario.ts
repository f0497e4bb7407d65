// Scenario files: phases run in order against one target, with thresholds.
// loadScenario reads the file; everything else (JSON, ${VAR}, schema, semantic
// checks) is the pure parseScenario, which reports every problem at once.
import { statSync } from 'node:fs';
import { UsageError, ValidationError } from '../errors.js';
import type { RunOptionsInput } from '../plan/options.js';
import { readCapped, readFailure } from './input-files.js';
import { substituteEnv } from './scenario-env.js';
import { parseJsonText } from './scenario-json.js';
import { formatPath, formatProblem, sortByDocumentOrder, type Problem } from './scenario-problems.js';
import { validateScenarioData } from './scenario-validate.js';

export interface Scenario {
  name: string;
  description: string | null;
  target: string;
  defaults: RunOptionsInput;
  phases: Array<RunOptionsInput & { name: string }>;
  /** Phase name or "*" -> threshold expressions (all parsed successfully). */
  thresholds: Record<string, string[]>;
  path: string;
}

interface ScenarioDocument {
  name: string;
  description?: string;
  target: string;
  defaults?: RunOptionsInput;
  phases: Array<RunOptionsInput & { name: string }>;
  thresholds?: Record<string, string[]>;
}

export async function loadScenario(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Scenario> {
  let text: string;
  try {
    text = (await readCapped(path)).toString('utf8');
  } catch (err) {
    throw new UsageError(`cannot read scenario file ${path}: ${readFailure(err)}`, 'ESCENARIO');
  }
  return parseScenario(text, path, env);
}

/** Parses and validates a scenario; throws ValidationError listing every problem, one line each. */
export function parseScenario(text: string, path: string, env: NodeJS.ProcessEnv = process.env): Scenario {
  const what = `invalid scenario ${path}`;
  const json = parseJsonText(text);
  if (!json.ok) throw new ValidationError(what, [json.problem]);

  const envProblems: Problem[] = [];
  const data = substituteEnv(json.value, env, envProblems);
  // A string whose variable is missing was left as written: other complaints about it are noise.
  const unresolved = new Set(envProblems.map((p) => formatPath(p.path)));
  const checkProblems = validateScenarioData(data).filter((p) => !unresolved.has(formatPath(p.path)));
  const problems = sortByDocumentOrder([...envProblems, ...checkProblems], data);
  if (problems.length > 0) throw new ValidationError(what, problems.map(formatProblem));

  const doc = data as ScenarioDocument;
  return {
    name: doc.name,
    description: doc.description ?? null,
    target: doc.target,
    defaults: doc.defaults ?? {},
    phases: doc.phases,
    thresholds: doc.thresholds ?? {},
    path,
  };
}

/**
 * The options of each phase as `run` takes them: defaults, then the phase
 * (header objects merged, the phase winning), and the thresholds for "*" and
 * for its name in `threshold`.
 */
export function scenarioPhaseOptions(scenario: Scenario): Array<RunOptionsInput & { name: string }> {
  return scenario.phases.map((phase) => {
    const merged: RunOptionsInput & { name: string } = { ...scenario.defaults, ...phase };
    if (isHeaderObject(scenario.defaults.headers) && isHeaderObject(phase.headers)) {
      merged.headers = { ...scenario.defaults.headers, ...phase.headers };
    }
    // Own keys only: a phase named "constructor" or "toString" must not find Object.prototype's.
    const named = (key: string): string[] => (Object.hasOwn(scenario.thresholds, key) ? scenario.thresholds[key]! : []);
    const threshold = [...named('*'), ...named(phase.name)];
    if (threshold.length > 0) merged.threshold = threshold;
    return merged;
  });
}

const isHeaderObject = (h: RunOptionsInput['headers']): h is Record<string, string> => typeof h === 'object' && !Array.isArray(h);

const URL_SCHEME_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** For `connload run <arg>`: a URL is not a scenario; a *.json name or an existing file is. */
export function looksLikeScenarioPath(arg: string): boolean {
  if (URL_SCHEME_RE.test(arg)) return false;
  if (arg.toLowerCase().endsWith('.json')) return true;
  try {
    return statSync(arg).isFile();
  } catch {
    return false;
  }
}
