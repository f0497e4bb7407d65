import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { MAX_LOCAL_ADDRESSES, parseLocalAddresses } from '../../src/plan/local-address.js';

const EXPECTED = 'expected a list, a range like 127.0.0.2-127.0.0.9 or a CIDR like 127.0.0.0/29';

function usageError(spec: string | string[]): UsageError {
  try {
    parseLocalAddresses(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`no error for ${JSON.stringify(spec)}`);
}

describe('parseLocalAddresses', () => {
  it('takes single addresses and comma lists, IPv6 included, spaces ignored', () => {
    expect(parseLocalAddresses('127.0.0.2')).toEqual(['127.0.0.2']);
    expect(parseLocalAddresses('127.0.0.2, 127.0.0.3,::1')).toEqual(['127.0.0.2', '127.0.0.3', '::1']);
    expect(parseLocalAddresses(['127.0.0.2', '127.0.0.3,fd00::1'])).toEqual(['127.0.0.2', '127.0.0.3', 'fd00::1']);
  });

  it('expands ranges given as full addresses or a last part', () => {
    const eight = ['2', '3', '4', '5', '6', '7', '8', '9'].map((n) => `127.0.0.${n}`);
    expect(parseLocalAddresses('127.0.0.2-127.0.0.9')).toEqual(eight);
    expect(parseLocalAddresses('127.0.0.2-9')).toEqual(eight);
    expect(parseLocalAddresses('127.0.0.254-127.0.1.1')).toEqual(['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1']);
    expect(parseLocalAddresses('127.0.0.5-5')).toEqual(['127.0.0.5']);
    expect(parseLocalAddresses('fd00::fe-fd00::101')).toEqual(['fd00::fe', 'fd00::ff', 'fd00::100', 'fd00::101']);
  });

  it('expands IPv4 CIDR blocks to their host addresses; /31 and /32 give all', () => {
    expect(parseLocalAddresses('127.0.0.0/29')).toEqual(['1', '2', '3', '4', '5', '6'].map((n) => `127.0.0.${n}`));
    expect(parseLocalAddresses('127.0.0.5/29')).toEqual(parseLocalAddresses('127.0.0.0/29'));
    expect(parseLocalAddresses('10.0.0.4/30')).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(parseLocalAddresses('10.0.0.4/31')).toEqual(['10.0.0.4', '10.0.0.5']);
    expect(parseLocalAddresses('10.0.0.4/32')).toEqual(['10.0.0.4']);
    expect(parseLocalAddresses('10.1.0.0/16')).toHaveLength(65534);
  });

  it('expands IPv6 CIDR blocks to all their addresses', () => {
    expect(parseLocalAddresses('fd00::/126')).toEqual(['fd00::', 'fd00::1', 'fd00::2', 'fd00::3']);
    expect(parseLocalAddresses('fd00:0:0:1::8/127')).toEqual(['fd00:0:0:1::8', 'fd00:0:0:1::9']);
    expect(parseLocalAddresses('::ffff:0.0.0.0/127')).toEqual(['::ffff:0:0', '::ffff:0:1']);
  });

  it('drops duplicates, keeping the first position', () => {
    expect(parseLocalAddresses('127.0.0.3,127.0.0.2-4')).toEqual(['127.0.0.3', '127.0.0.2', '127.0.0.4']);
  });

  it('names the bad item and what was expected', () => {
    expect(usageError('127.0.0.300').message).toBe(`--local-address: "127.0.0.300" is not an IP address; ${EXPECTED}`);
    expect(usageError('127.0.0.2,example.com').message).toBe(`--local-address: "example.com" is not an IP address; ${EXPECTED}`);
    expect(usageError('127.0.0.9-127.0.0.2').message).toContain('"127.0.0.9-127.0.0.2" is not a range: its end comes before its start');
    expect(usageError('127.0.0.2-300').message).toContain('"127.0.0.2-300" is not a range: "300" is not an IPv4 address or last part');
    expect(usageError('127.0.0.2-::1').message).toContain('is not a range');
    expect(usageError('nope-127.0.0.2').message).toContain('"nope" is not an IP address');
    expect(usageError('127.0.0.0/33').message).toContain('the prefix length must be 0 to 32');
    expect(usageError('127.0.0.0/').message).toContain('the prefix length must be 0 to 32');
    expect(usageError('fd00::/129').message).toContain('the prefix length must be 0 to 128');
    expect(usageError('foo/24').message).toContain('"foo" is not an IP address');
    expect(usageError('127.0.0.0/8').code).toBe('EUSAGE');
  });

  it('refuses empty input', () => {
    expect(usageError('').message).toBe(`--local-address: no address given; ${EXPECTED}`);
    expect(usageError([' , ']).message).toContain('no address given');
  });

  it(`caps the expansion at ${MAX_LOCAL_ADDRESSES} addresses in total`, () => {
    expect(usageError('10.0.0.0/8').message).toBe('--local-address: "10.0.0.0/8" has 16777214 addresses; at most 65536 in total are allowed');
    expect(usageError('fd00::/64').message).toContain('has 18446744073709551616 addresses');
    expect(usageError('10.1.0.0/16,10.2.0.0/16').message).toContain('"10.2.0.0/16" has 65534 addresses');
    expect(parseLocalAddresses('10.0.0.0-10.0.255.255')).toHaveLength(65536);
  });
});
