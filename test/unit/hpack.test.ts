// HPACK (RFC 7541): every story of the hpack-test-case collection (four
// encoders, copied into test/fixtures/hpack/) decodes to its headers in order,
// and the RFC's Appendix C examples decode and encode back to the same bytes.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../src/http2/hpack/decoder.js';
import { encodeStatelessBlock, HpackEncoder } from '../../src/http2/hpack/encoder.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from '../../src/http2/hpack/huffman.js';

type Field = [string, string];
interface StoryCase {
  wire: string;
  headers: Field[];
  size?: number;
}

// Story files per encoder in the collection (nghttp2-change-table-size has no story_31).
const ENCODERS: Record<string, number> = { 'go-hpack': 32, nghttp2: 32, 'nghttp2-change-table-size': 31, 'python-hpack': 32 };

function stories(encoder: string): Record<string, StoryCase[]> {
  const file = new URL(`../fixtures/hpack/${encoder}.json.gz`, import.meta.url);
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Record<string, StoryCase[]>;
}

function decodeAll(decoder: HpackDecoder, wire: Buffer): Field[] {
  const fields: Field[] = [];
  const problem = decoder.decode(wire, (name, value) => fields.push([name.toString('latin1'), value.toString('latin1')]));
  expect(problem).toBeNull();
  return fields;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('hpack-test-case stories', () => {
  for (const [encoder, storyCount] of Object.entries(ENCODERS)) {
    it(`every ${encoder} story decodes to its headers, in order`, () => {
      const all = stories(encoder);
      const names = Object.keys(all);
      expect(names.length).toBe(storyCount);
      let cases = 0;
      for (const name of names) {
        const decoder = new HpackDecoder(4096);
        for (const [i, c] of all[name]!.entries()) {
          if (c.size !== undefined) decoder.setTableLimit(c.size);
          // Test vectors carry UTF-8 text; the decoder hands out bytes, compared here as bytes.
          const got = decodeAll(decoder, hex(c.wire)).map(([n, v]) => [Buffer.from(n, 'latin1').toString('utf8'), Buffer.from(v, 'latin1').toString('utf8')]);
          expect(got, `${encoder}/${name} case ${i}`).toEqual(c.headers);
          cases++;
        }
      }
      expect(cases).toBeGreaterThan(1000);
    });
  }

  it('a stateless block of every story header list decodes back, on a decoder in any state', () => {
    const all = stories('nghttp2');
    const shared = new HpackDecoder(4096);
    for (const cases of Object.values(all)) {
      for (const c of cases.slice(0, 5)) {
        const latin1 = c.headers.map(([n, v]): Field => [Buffer.from(n).toString('latin1'), Buffer.from(v).toString('latin1')]);
        const block = encodeStatelessBlock(latin1);
        expect(decodeAll(shared, block)).toEqual(latin1);
        expect(shared.tableSize).toBe(0);
      }
    }
  });
});

interface Example {
  name: string;
  wire: string;
  headers: Field[];
  tableSize: number;
}

const REQUESTS: Field[][] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];
const RESPONSES: Field[][] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
];

// RFC 7541 C.3-C.6: three requests (table 4096) and three responses (table 256), plain and Huffman.
const SEQUENCES: Array<{ name: string; tableBytes: number; huffman: boolean; examples: Example[] }> = [
  {
    name: 'C.3 requests without Huffman',
    tableBytes: 4096,
    huffman: false,
    examples: [
      { name: 'C.3.1', wire: '828684410f7777772e6578616d706c652e636f6d', headers: REQUESTS[0]!, tableSize: 57 },
      { name: 'C.3.2', wire: '828684be58086e6f2d6361636865', headers: REQUESTS[1]!, tableSize: 110 },
      { name: 'C.3.3', wire: '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565', headers: REQUESTS[2]!, tableSize: 164 },
    ],
  },
  {
    name: 'C.4 requests with Huffman',
    tableBytes: 4096,
    huffman: true,
    examples: [
      { name: 'C.4.1', wire: '828684418cf1e3c2e5f23a6ba0ab90f4ff', headers: REQUESTS[0]!, tableSize: 57 },
      { name: 'C.4.2', wire: '828684be5886a8eb10649cbf', headers: REQUESTS[1]!, tableSize: 110 },
      { name: 'C.4.3', wire: '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf', headers: REQUESTS[2]!, tableSize: 164 },
    ],
  },
  {
    name: 'C.5 responses without Huffman',
    tableBytes: 256,
    huffman: false,
    examples: [
      {
        name: 'C.5.1',
        wire: '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
        headers: RESPONSES[0]!,
        tableSize: 222,
      },
      { name: 'C.5.2', wire: '4803333037c1c0bf', headers: RESPONSES[1]!, tableSize: 222 },
      {
        name: 'C.5.3',
        wire: '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
        headers: RESPONSES[2]!,
        tableSize: 215,
      },
    ],
  },
  {
    name: 'C.6 responses with Huffman',
    tableBytes: 256,
    huffman: true,
    examples: [
      {
        name: 'C.6.1',
        wire: '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
        headers: RESPONSES[0]!,
        tableSize: 222,
      },
      { name: 'C.6.2', wire: '4883640effc1c0bf', headers: RESPONSES[1]!, tableSize: 222 },
      {
        name: 'C.6.3',
        wire: '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
        headers: RESPONSES[2]!,
        tableSize: 215,
      },
    ],
  },
];

describe('RFC 7541 Appendix C', () => {
  it('C.2: literal with indexing, without indexing, never indexed, indexed', () => {
    const d = new HpackDecoder(4096);
    expect(decodeAll(d, hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572'))).toEqual([['custom-key', 'custom-header']]);
    expect(d.tableSize).toBe(55);
    const fresh = new HpackDecoder(4096);
    expect(decodeAll(fresh, hex('040c2f73616d706c652f70617468'))).toEqual([[':path', '/sample/path']]);
    expect(decodeAll(fresh, hex('100870617373776f726406736563726574'))).toEqual([['password', 'secret']]);
    expect(decodeAll(fresh, hex('82'))).toEqual([[':method', 'GET']]);
    expect(fresh.tableSize).toBe(0);
  });

  for (const seq of SEQUENCES) {
    it(`${seq.name} decode, with the table sizes of the RFC`, () => {
      const d = new HpackDecoder(seq.tableBytes);
      d.setTableLimit(seq.tableBytes);
      // The decoder's table starts at 4096; the RFC's response examples run with a 256-byte table.
      if (seq.tableBytes < 4096) expect(decodeAll(d, Buffer.from([0x3f, 0xe1, 0x01]))).toEqual([]);
      for (const ex of seq.examples) {
        expect(decodeAll(d, hex(ex.wire)), ex.name).toEqual(ex.headers);
        expect(d.tableSize, ex.name).toBe(ex.tableSize);
      }
    });

    it(`${seq.name} encode to the RFC's bytes (incremental indexing)`, () => {
      const e = new HpackEncoder({ indexing: 'incremental', huffman: seq.huffman ? 'always' : 'never', tableBytes: seq.tableBytes });
      for (const ex of seq.examples) expect(e.encode(ex.headers).toString('hex'), ex.name).toBe(ex.wire);
    });
  }
});

describe('HPACK errors', () => {
  const bad: Array<[string, string]> = [
    ['index 0', '80'],
    ['an index beyond the tables', 'be'],
    ['a string longer than the block', '400a6375'],
    ['an integer cut short', 'ff'],
    ['a table size update above the limit', '3fe21f'],
    ['a table size update after a field', '8220'],
    ['a Huffman string with EOS', '0084ffffffff'],
    ['Huffman padding of 8 bits', '008200ff'],
  ];
  for (const [what, wire] of bad) {
    it(`${what} is a decoding error, not an exception`, () => {
      const d = new HpackDecoder(4096);
      expect(d.decode(hex(wire), () => {})).not.toBeNull();
    });
  }
});

describe('Huffman', () => {
  it('every byte value round-trips', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const out = Buffer.alloc(huffmanLength(all));
    expect(huffmanEncode(all, out, 0)).toBe(out.length);
    const back = Buffer.alloc(out.length * 2);
    const end = huffmanDecode(out, 0, out.length, back, 0);
    expect(back.subarray(0, end)).toEqual(all);
  });
});
