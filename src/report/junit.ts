// JUnit XML for CI: one <testsuite> per phase, one <testcase> per threshold.
// A pure function of the result document.
import { formatThresholdActual } from '../metrics/thresholds.js';
import type { PhaseResult, ResultDocument, ThresholdResult } from '../metrics/result.js';

// Characters XML 1.0 cannot carry at all, even escaped.
// eslint-disable-next-line no-control-regex -- these control characters are what it finds
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXmlText(text: string): string {
  return text.replace(INVALID_XML_CHARS, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their quotes and line breaks (which parsers would normalize to spaces). */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** "actual 63.2ms, expected ttfb.p99 < 50ms" */
export function thresholdFailureMessage(t: ThresholdResult): string {
  const actual = t.actual === null ? 'actual not measured' : `actual ${formatThresholdActual(t.expression, t.actual)}`;
  return `${actual}, expected ${t.expression}`;
}

function renderTestcase(phase: PhaseResult, t: ThresholdResult): string[] {
  const open = `    <testcase name="${escapeXmlAttribute(t.expression)}" classname="${escapeXmlAttribute(`connload.${phase.name}`)}" time="0"`;
  if (t.ok) return [`${open}/>`];
  const message = thresholdFailureMessage(t);
  const detail = t.actual === null ? `Phase ${phase.name}: the metric of "${t.expression}" was not measured in this phase.` : `Phase ${phase.name}: ${message}.`;
  return [`${open}>`, `      <failure message="${escapeXmlAttribute(message)}" type="threshold">${escapeXmlText(detail)}</failure>`, '    </testcase>'];
}

function renderSuite(doc: ResultDocument, phase: PhaseResult): string[] {
  const failures = phase.thresholds.filter((t) => !t.ok).length;
  const properties: Array<[string, string]> = [
    ['target', doc.target.url],
    ['strategy', phase.strategy],
    ['requests.completed', String(phase.requests.completed)],
    ['requests.errors', String(phase.requests.errors)],
    ['connections.opened', String(phase.connections.opened)],
  ];
  if (phase.interrupted) properties.push(['interrupted', 'true']);
  return [
    `  <testsuite name="${escapeXmlAttribute(phase.name)}" tests="${phase.thresholds.length}" failures="${failures}" errors="0" skipped="0" ` +
      `time="${seconds(phase.durationMs)}" timestamp="${escapeXmlAttribute(doc.startedAt)}">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${escapeXmlAttribute(name)}" value="${escapeXmlAttribute(value)}"/>`),
    '    </properties>',
    ...phase.thresholds.flatMap((t) => renderTestcase(phase, t)),
    '  </testsuite>',
  ];
}

export function renderJunit(doc: ResultDocument): string {
  const tests = doc.phases.reduce((n, p) => n + p.thresholds.length, 0);
  const failures = doc.phases.reduce((n, p) => n + p.thresholds.filter((t) => !t.ok).length, 0);
  const totalMs = doc.phases.reduce((n, p) => n + p.durationMs, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="connload" tests="${tests}" failures="${failures}" errors="0" time="${seconds(totalMs)}">`,
    ...doc.phases.flatMap((phase) => renderSuite(doc, phase)),
    '</testsuites>',
    '',
  ].join('\n');
}
