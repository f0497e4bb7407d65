// Gate for lab test files: skip loudly where the lab cannot be built, fail
// where it must run (CI), and always tear labs down after the file.
import { afterAll, test } from 'vitest';
import { destroyAllLabs, labAvailable } from './lab.js';

/**
 * Call at the top level of a lab test file:
 *   const labReady = await requireLab();
 *   describe.skipIf(!labReady)('...', () => { ... });
 */
export async function requireLab(): Promise<boolean> {
  afterAll(destroyAllLabs);
  const availability = await labAvailable();
  if (availability.ok) return true;
  const why = availability.why ?? 'unknown reason';
  console.warn(`\n${'!'.repeat(72)}\nSKIPPED lab: ${why}\n${'!'.repeat(72)}\n`);
  if (process.env.CI) {
    // In CI the lab is part of the suite: a missing lab is a failure, not a skip.
    test('network lab is available (required when CI is set)', () => {
      throw new Error(`network lab unavailable in CI: ${why}`);
    });
  }
  return false;
}
