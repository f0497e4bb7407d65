// The strategies, in one plain map: adding one is adding a file and a line.
import { isIdempotent } from '../http1/request.js';
import type { PhasePlan, StrategyName } from '../plan/types.js';
import { honouredPolicies } from '../transport/close-policy.js';
import { http10KeepAlive } from './http10-keepalive.js';
import { multiplex } from './multiplex.js';
import { newConnection } from './new-connection.js';
import { persistent } from './persistent.js';
import { pipeline } from './pipeline.js';
import type { Strategy, StrategyTraits } from './types.js';

export const STRATEGIES: Partial<Record<StrategyName, Strategy>> = {
  'new-connection': newConnection,
  'http10-keepalive': http10KeepAlive,
  persistent,
  pipeline,
  multiplex,
};

export function strategyFor(name: StrategyName): Strategy | undefined {
  return STRATEGIES[name];
}

/** The traits of a strategy known to this build (the plan was validated against the map). */
export function traitsOf(name: StrategyName): StrategyTraits {
  const s = STRATEGIES[name];
  if (s === undefined) throw new Error(`strategy ${name} is not available in this build`);
  return s.traits;
}

/** What a plan asks that the strategy cannot do: its traits first, then its own checks. */
export function strategyProblems(strategy: Strategy, plan: PhasePlan): string[] {
  const problems: string[] = [];
  const { traits, name } = strategy;
  // 4.6: pipelining is only for idempotent requests.
  if (traits.idempotentOnly && !isIdempotent(plan.method)) {
    problems.push(`--strategy ${name} sends only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS): ${plan.method} cannot be pipelined; use --strategy persistent`);
  }
  const honoured = honouredPolicies(traits.protocol);
  if (!honoured.includes(plan.close)) {
    problems.push(`--close ${plan.close} cannot be honoured by --strategy ${name} (${traits.protocol}): use one of ${honoured.join(', ')}`);
  }
  problems.push(...(strategy.validate?.(plan) ?? []));
  return problems;
}

export type { Strategy, StrategyTraits } from './types.js';
export { inFlightPerConnection, requestsPerConnection } from './types.js';
