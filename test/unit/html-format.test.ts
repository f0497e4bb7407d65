// Phase options in the HTML report read as the user wrote them.
import { describe, expect, it } from 'vitest';
import { fmtOption } from '../../src/report/html-format.js';

describe('fmtOption', () => {
  it('writes a range a connection draws from as MIN-MAX', () => {
    expect(fmtOption({ min: 80, max: 120 })).toBe('80-120');
    expect(fmtOption({ min: 20000, max: 40000 })).toBe('20000-40000');
  });

  it('writes lists joined and other objects as JSON', () => {
    expect(fmtOption(['/a', '/b'])).toBe('/a,/b');
    expect(fmtOption(100)).toBe('100');
    expect(fmtOption({ startConnections: 0, stages: [] })).toBe('{"startConnections":0,"stages":[]}');
    expect(fmtOption({ min: 1, max: 2, extra: 3 })).toBe('{"min":1,"max":2,"extra":3}');
  });
});
