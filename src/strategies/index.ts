// The strategies, in one plain map: adding one is adding a file and a line.
import type { StrategyName } from '../plan/types.js';
import { http10KeepAlive } from './http10-keepalive.js';
import { multiplex } from './multiplex.js';
import { newConnection } from './new-connection.js';
import { persistent } from './persistent.js';
import { pipeline } from './pipeline.js';
import type { Strategy } from './types.js';

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
