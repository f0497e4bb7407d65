// Ramps as k6 writes them: "30s:2000,60s:2000,10s:0" (or [{duration, target}] in a
// scenario). A rate ramp (--stage, `stages`) moves the open model's arrival rate
// linearly from the phase's starting rate through each target; a connection ramp
// (--stage-connections, `connectionStages`) is written the same way with a
// connection target, under another name so the two cannot be confused.
import { parseDurationMs } from '../units.js';

export interface Stage {
  durationMs: number;
  /** requests per second (rate ramp) or open connections (connection ramp) at the end of the stage */
  target: number;
}

export interface StageInput {
  duration: string | number;
  target: number;
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const NUMBER_RE = /^\s*-?\d+(\.\d+)?\s*$/;

/**
 * Parses a ramp; returns the stages or the problems, each naming the stage
 * ("stage 2 \"10s:-5\" has a negative target ...") without the option's name.
 */
export function parseStages(input: string | string[] | StageInput[], unit: string, wholeTargets = false): Stage[] | string[] {
  const items: Array<{ text: string; duration: unknown; target: unknown }> = [];
  const list = Array.isArray(input) ? input : [input];
  for (const entry of list) {
    if (typeof entry === 'string') {
      for (const text of entry.split(',')) {
        if (text.trim() === '') continue;
        const colon = text.indexOf(':');
        items.push({
          text,
          duration: colon < 0 ? '' : text.slice(0, colon).trim(),
          target: colon < 0 ? text.trim() : text.slice(colon + 1).trim(),
        });
      }
    } else if (typeof entry === 'object' && entry !== null) {
      items.push({ text: show(entry), duration: entry.duration, target: entry.target });
    } else items.push({ text: show(entry), duration: undefined, target: undefined });
  }
  if (items.length === 0) return [`expected at least one stage DURATION:TARGET, e.g. 30s:2000, got ${show(input)}`];
  const stages: Stage[] = [];
  const problems: string[] = [];
  items.forEach((item, i) => {
    const name = `stage ${i + 1} ${item.text.includes('"') ? item.text : `"${item.text.trim()}"`}`;
    const durationText = item.duration;
    const durationMs = durationText === '' || durationText === undefined ? null : parseDurationMs(durationText, 's');
    const targetText = item.target;
    // "2000:30s": the target where the duration belongs.
    if (
      typeof durationText === 'string' &&
      NUMBER_RE.test(durationText) &&
      typeof targetText === 'string' &&
      !NUMBER_RE.test(targetText) &&
      parseDurationMs(targetText) !== null
    ) {
      problems.push(`${name} is written backwards: expected DURATION:TARGET, e.g. 30s:2000`);
      return;
    }
    if (durationText === '' || durationText === undefined) {
      problems.push(`${name} has no duration: expected DURATION:TARGET, e.g. 30s:2000`);
      return;
    }
    if (durationMs === null || durationMs <= 0) {
      problems.push(`${name}: expected a duration > 0 like 30s or 500ms, got ${show(durationText)}`);
      return;
    }
    const target = typeof targetText === 'number' ? targetText : typeof targetText === 'string' && NUMBER_RE.test(targetText) ? Number(targetText) : NaN;
    if (Number.isFinite(target) && target < 0) {
      problems.push(`${name} has a negative target: expected ${unit} >= 0`);
      return;
    }
    if (!Number.isFinite(target)) {
      problems.push(`${name}: expected a target in ${unit} after the duration (30s:2000), got ${show(targetText ?? '')}`);
      return;
    }
    if (wholeTargets && !Number.isInteger(target)) {
      problems.push(`${name}: expected a whole number of ${unit}, got ${show(targetText)}`);
      return;
    }
    stages.push({ durationMs, target });
  });
  return problems.length > 0 ? problems : stages;
}

export function stagesDurationMs(stages: Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** The ramp's value `elapsedMs` into it: linear within each stage, `start` before it, the last target after it. */
export function rampValueAt(start: number, stages: Stage[], elapsedMs: number): number {
  let from = start;
  let t = elapsedMs;
  for (const stage of stages) {
    if (t <= 0) return from;
    if (t < stage.durationMs) return from + ((stage.target - from) * t) / stage.durationMs;
    t -= stage.durationMs;
    from = stage.target;
  }
  return from;
}

export function formatStages(startRate: number, stages: Stage[]): string {
  return [String(startRate), ...stages.map((s) => `${s.durationMs / 1000}s→${s.target}`)].join(' ');
}
