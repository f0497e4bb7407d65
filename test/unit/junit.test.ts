import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/report/junit.js';
import { phaseResult, resultDocument } from './thresholds-fixture.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  htmlEntities: true,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

interface JunitCase {
  name: string;
  classname: string;
  failure?: { message: string; type: string; '#text': string };
}
interface JunitSuite {
  name: string;
  testcase: JunitCase[];
  properties: { property: Array<{ name: string; value: string }> };
}

function parse(xml: string): { testsuite: JunitSuite[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  return (parser.parse(xml) as { testsuites: { testsuite: JunitSuite[] } }).testsuites;
}

describe('renderJunit', () => {
  const doc = resultDocument([
    phaseResult({
      name: 'gate',
      durationMs: 5000,
      thresholds: [
        { expression: 'ttfb.p99 < 50ms', ok: false, actual: 63.25 },
        { expression: 'errors == 0', ok: true, actual: 0 },
        { expression: 'dns.p99 < 5ms', ok: false, actual: null },
      ],
    }),
    phaseResult({ name: 'persistent', durationMs: 2500, thresholds: [{ expression: 'reuse >= 95%', ok: true, actual: 0.99 }] }),
    phaseResult({ name: 'no thresholds', thresholds: [] }),
  ]);

  it('has one testsuite per phase and one testcase per threshold', () => {
    const suites = parse(renderJunit(doc));
    expect(suites).toMatchObject({ name: 'connload', tests: '4', failures: '2', errors: '0', time: '12.500' });
    expect(suites.testsuite.map((s) => s.name)).toEqual(['gate', 'persistent', 'no thresholds']);
    const [gate, persistent, empty] = suites.testsuite;
    expect(gate).toMatchObject({ tests: '3', failures: '2', time: '5.000', timestamp: '2024-01-01T00:00:00.000Z' });
    expect(gate!.testcase.map((c) => [c.name, c.classname])).toEqual([
      ['ttfb.p99 < 50ms', 'connload.gate'],
      ['errors == 0', 'connload.gate'],
      ['dns.p99 < 5ms', 'connload.gate'],
    ]);
    expect(persistent).toMatchObject({ tests: '1', failures: '0' });
    expect(persistent!.testcase[0]!.failure).toBeUndefined();
    expect(empty).toMatchObject({ tests: '0', failures: '0' });
    expect(empty!.testcase).toBeUndefined();
  });

  it('explains a failure with the actual value in the written unit', () => {
    const [gate] = parse(renderJunit(doc)).testsuite;
    expect(gate!.testcase[0]!.failure).toEqual({
      message: 'actual 63.25ms, expected ttfb.p99 < 50ms',
      type: 'threshold',
      '#text': 'Phase gate: actual 63.25ms, expected ttfb.p99 < 50ms.',
    });
    expect(gate!.testcase[1]!.failure).toBeUndefined();
    expect(gate!.testcase[2]!.failure?.message).toBe('actual not measured, expected dns.p99 < 5ms');
    expect(gate!.testcase[2]!.failure?.['#text']).toBe('Phase gate: the metric of "dns.p99 < 5ms" was not measured in this phase.');
  });

  it('records the phase in properties', () => {
    const [gate] = parse(renderJunit(doc)).testsuite;
    const properties = Object.fromEntries(gate!.properties.property.map((p) => [p.name, p.value]));
    expect(properties).toEqual({
      target: 'http://127.0.0.1:8080/',
      strategy: 'persistent',
      'requests.completed': '990',
      'requests.errors': '10',
      'connections.opened': '4',
    });
  });

  it('escapes names and values so the XML stays well-formed', () => {
    const nasty = 'a<b>&"c\' \u0001\nline2';
    const xml = renderJunit(resultDocument([phaseResult({ name: nasty, thresholds: [{ expression: 'rps >= 1000 <&>', ok: false, actual: 5 }] })]));
    const [suite] = parse(xml).testsuite;
    expect(suite!.name).toBe('a<b>&"c\' \uFFFD\nline2');
    expect(suite!.testcase[0]!.classname).toBe(`connload.${suite!.name}`);
    expect(suite!.testcase[0]!.name).toBe('rps >= 1000 <&>');
    expect(xml).not.toContain('\u0001');
  });

  it('renders an empty document', () => {
    const suites = parse(renderJunit(resultDocument([])));
    expect(suites).toMatchObject({ tests: '0', failures: '0' });
  });
});
