/**
 * INT64 and UINT64 tensors as JSON: every integer literal is read exactly (never through a double), on the small-body
 * path, the fast path (edge/tensor/json-fast.ts) and in the decoder thread; values out of range are refused with the
 * value as sent. KServe required_api.md, "Tensor Data": a server may coerce or refuse, never silently change a value.
 */
import fc from 'fast-check';
import { findDataRanges, parseJsonExactIntegers } from '../../edge/tensor/json-fast';
import { decodeInferRequest, type ModelSignature } from '../../edge/tensor/request';
import { inferJson, startEdge, testModels, type TestServer } from './helpers/runtime';

const sig: ModelSignature = {
  inputs: [
    { name: 'x_INT64', datatype: 'INT64', shape: [-1] },
    { name: 'x_UINT64', datatype: 'UINT64', shape: [-1] },
  ],
  outputs: [{ name: 'y', datatype: 'INT64', shape: [-1] }],
  batchable: false,
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The small-body path (JSON.parse) and the fast path (forced with fastJsonMinBytes 0). */
const PATHS: [string, number][] = [['the small-body path', Infinity], ['the fast path', 0]];

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function body(i64: string, u64 = '[0]'): Uint8Array {
  return enc(`{"inputs":[{"name":"x_INT64","datatype":"INT64","shape":[${count(i64)}],"data":${i64}},`
    + `{"name":"x_UINT64","datatype":"UINT64","shape":[${count(u64)}],"data":${u64}}]}`);
}

/** Elements in a (possibly nested) data array text. */
function count(data: string): number {
  return data.replace(/[[\]\s]/g, '') === '' ? 0 : data.split(',').length;
}

/** The decoded INT64 and UINT64 tensors as bigint arrays. */
function decode(b: Uint8Array, fastJsonMinBytes: number, s: ModelSignature = sig): bigint[][] {
  return decodeInferRequest(b, undefined, s, fastJsonMinBytes).inputs.map((t) =>
    Array.from(t.ort === 'int64' ? new BigInt64Array(t.buffer, t.byteOffset, t.byteLength / 8) : new BigUint64Array(t.buffer, t.byteOffset, t.byteLength / 8)));
}

function refusal(b: Uint8Array, fastJsonMinBytes: number): { code?: string; message: string } {
  try {
    decodeInferRequest(b, undefined, sig, fastJsonMinBytes);
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('the request decoded, expected a refusal');
}

describe.each(PATHS)('INT64/UINT64 JSON data on %s', (_path, min) => {
  test('the fast path takes these bodies when forced', () => {
    const b = body('[1,2]');
    expect(findDataRanges(b, b.byteLength)).toHaveLength(2);
  });

  test('reads integers beyond 2^53 exactly (the values the V2 clients found rounded)', () => {
    const [i64, u64] = decode(body('[9007199254740993,-9007199254740993,4611686018427387905]', '[9007199254740993,18446744073709551615]'), min);
    expect(i64).toEqual([9007199254740993n, -9007199254740993n, 4611686018427387905n]);
    expect(u64).toEqual([9007199254740993n, UINT64_MAX]);
  });

  test('accepts the extremes of both ranges', () => {
    const [i64, u64] = decode(body(`[${INT64_MIN},${INT64_MAX},-0,0]`, `[0,${UINT64_MAX},${2n ** 63n},-0]`), min);
    expect(i64).toEqual([INT64_MIN, INT64_MAX, 0n, 0n]);
    expect(u64).toEqual([0n, UINT64_MAX, 2n ** 63n, 0n]);
  });

  test('reads nested data exactly, in row-major order', () => {
    const [i64] = decode(body(`[[9007199254740993, ${INT64_MAX}], [ -1 ,\n${INT64_MIN}]]`), min);
    expect(i64).toEqual([9007199254740993n, INT64_MAX, -1n, INT64_MIN]);
  });

  test.each([
    ['INT64 max + 1', `[1,${INT64_MAX + 1n}]`, '[0]', `input "x_INT64" element 1 is ${INT64_MAX + 1n}: out of the INT64 range`],
    ['INT64 min - 1', `[${INT64_MIN - 1n}]`, '[0]', `input "x_INT64" element 0 is ${INT64_MIN - 1n}: out of the INT64 range`],
    ['a negative UINT64', '[0]', '[5,-1]', 'input "x_UINT64" element 1 is -1: out of the UINT64 range'],
    ['a negative UINT64 beyond 2^53', '[0]', '[-9007199254740993]', 'input "x_UINT64" element 0 is -9007199254740993: out of the UINT64 range'],
    ['UINT64 max + 1', '[0]', `[0,0,${UINT64_MAX + 1n}]`, `input "x_UINT64" element 2 is ${UINT64_MAX + 1n}: out of the UINT64 range`],
    ['a fraction', '[1.5]', '[0]', 'input "x_INT64" element 0 is 1.5: INT64 data must be integers'],
    ['a string', '["9007199254740993"]', '[0]', 'input "x_INT64" element 0 is "9007199254740993": INT64 data must be integers'],
  ])('fails when the data holds %s, naming the element and the value as sent', (_why, i64, u64, message) => {
    const r = refusal(body(i64, u64), min);
    expect(r.code).toBe('EDGE_ERR_INPUT_DATA_VALUE');
    expect(r.message).toContain(message);
  });

  test('keeps today\'s reading of exponent and fraction forms (the double JSON.parse gives)', () => {
    expect(decode(body('[1e3,2.0,-4E1]'), min)[0]).toEqual([1000n, 2n, -40n]);
    expect(refusal(body('[1e30]'), min).message).toContain('element 0 is 1e+30: out of the INT64 range');
  });

  test('fails when an INT32 input holds an integer beyond 2^53, naming it as sent', () => {
    const s: ModelSignature = { inputs: [{ name: 'n', datatype: 'INT32', shape: [-1] }, { name: 'f', datatype: 'FP32', shape: [-1] }], outputs: [], batchable: false };
    const b = enc('{"inputs":[{"name":"f","datatype":"FP32","shape":[1],"data":[1]},{"name":"n","datatype":"INT32","shape":[2],"data":[1,9007199254740993]}]}');
    let err: { code?: string; message?: string } = {};
    try {
      decodeInferRequest(b, undefined, s, min);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('EDGE_ERR_INPUT_DATA_VALUE');
    expect(err.message).toContain('input "n" element 1 is 9007199254740993: out of the INT32 range');
  });

  test('an FP32 input beside an exact INT64 input keeps the value JSON.parse gives its integer literals', () => {
    const s: ModelSignature = { inputs: [{ name: 'i', datatype: 'INT64', shape: [-1] }, { name: 'f', datatype: 'FP32', shape: [-1] }], outputs: [], batchable: false };
    const big = ['12345678901234567891', '-98765432109876543210987', '9007199254740993'];
    const b = enc(`{"inputs":[{"name":"f","datatype":"FP32","shape":[3],"data":[${big.join(',')}]},{"name":"i","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}`);
    const [i, f] = decodeInferRequest(b, undefined, s, min).inputs;
    expect(Array.from(new BigInt64Array(i.buffer, i.byteOffset, 1))).toEqual([9007199254740993n]);
    expect(Array.from(new Float32Array(f.buffer, f.byteOffset, 3))).toEqual(Array.from(Float32Array.from(big.map((x) => JSON.parse(x) as number))));
  });

  test('property: every INT64 and UINT64 value, written as a JSON literal, decodes to exactly that value', () => {
    const ws = fc.constantFrom('', ' ', '\n ', '\t');
    fc.assert(fc.property(
      fc.array(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.bigInt({ min: 0n, max: UINT64_MAX }), { minLength: 1, maxLength: 12 }),
      ws,
      (i64, u64, w) => {
        const got = decode(body(`[${w}${i64.join(`,${w}`)}${w}]`, `[${u64.join(`${w},`)}]`), min);
        expect(got).toEqual([i64, u64]);
      },
    ), { numRuns: 1000 });
  });

  test('property: every integer just outside the ranges is refused with its exact digits', () => {
    fc.assert(fc.property(
      fc.oneof(fc.bigInt({ min: INT64_MAX + 1n, max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: INT64_MIN - 1n })),
      fc.oneof(fc.bigInt({ min: UINT64_MAX + 1n, max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: -1n })),
      fc.boolean(),
      (bad64, badU64, which) => {
        const r = which ? refusal(body(`[0,${bad64}]`), min) : refusal(body('[0]', `[${badU64}]`), min);
        expect(r.code).toBe('EDGE_ERR_INPUT_DATA_VALUE');
        expect(r.message).toContain(which ? `element 1 is ${bad64}: out of the INT64 range` : `element 0 is ${badU64}: out of the UINT64 range`);
      },
    ), { numRuns: 300 });
  });
});

describe('INT64 data the fast path gives up on is still read exactly', () => {
  test.each([
    ['an escaped "data" key', '{"inputs":[{"name":"x_INT64","datatype":"INT64","shape":[1],"d\\u0061ta":[9007199254740993]},{"name":"x_UINT64","datatype":"UINT64","shape":[1],"data":[1]}]}', 9007199254740993n],
    ['a duplicate "data" key (the last counts, as in JSON.parse)', '{"inputs":[{"name":"x_INT64","datatype":"INT64","shape":[1],"data":[1],"data":[-9007199254740995]},{"name":"x_UINT64","datatype":"UINT64","shape":[1],"data":[1]}]}', -9007199254740995n],
    ['strings with brackets and deep parameters', `{"id":"]\\"[","parameters":{"deep":${'['.repeat(600)}${']'.repeat(600)}},"inputs":[{"name":"x_INT64","parameters":{"note":"[1,"},"datatype":"INT64","shape":[1],"data":[9223372036854775807]},{"name":"x_UINT64","datatype":"UINT64","shape":[1],"data":[1]}]}`, INT64_MAX],
  ])('%s', (_why, text, want) => {
    for (const [, min] of PATHS) expect(decode(enc(text), min)[0]).toEqual([want]);
  });
});

describe('parseJsonExactIntegers', () => {
  test('gives JSON.parse\'s value for any document, except exact BigInts for big integers in inputs[].data', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (a, b, c) => {
      const text = JSON.stringify({ a, inputs: [{ name: 'x', data: b, parameters: { c } }, c], b });
      const exact = parseJsonExactIntegers(text);
      // bigints only where JSON.parse rounds: as numbers, the same document
      const asNumbers = JSON.parse(JSON.stringify(exact, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) as string) as unknown;
      expect(asNumbers).toEqual(JSON.parse(text));
    }), { numRuns: 500 });
  });

  test('keeps a "__proto__" key as an own property, as JSON.parse does', () => {
    const text = '{"__proto__":{"x":1},"inputs":[{"__proto__":[2],"data":[18446744073709551615]}]}';
    const exact = parseJsonExactIntegers(text) as { inputs: { data: unknown[] }[] };
    expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
    expect(Object.keys(exact)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(Object.getOwnPropertyDescriptor(exact, '__proto__')?.value).toEqual({ x: 1 });
    expect(exact.inputs[0].data).toEqual([18446744073709551615n]);
  });

  test('reads only integer literals beyond 2^53 in data as BigInts', () => {
    const text = '{"inputs":[{"data":[9007199254740991,9007199254740993,9007199254740993.0,1e19,-0],"shape":[9007199254740993]}],"id":9007199254740993}';
    const exact = parseJsonExactIntegers(text) as { id: unknown; inputs: { data: unknown[]; shape: unknown[] }[] };
    expect(exact.inputs[0].data).toEqual([9007199254740991, 9007199254740993n, 9007199254740992, 1e19, -0]);
    expect(exact.inputs[0].shape).toEqual([9007199254740992]);
    expect(exact.id).toBe(9007199254740992);
  });
});

describe('INT64/UINT64 through the running runtime (identity model), JSON in and JSON out', () => {
  let inThread: TestServer;
  let offloaded: TestServer;

  beforeAll(async () => {
    inThread = await startEdge(['--model', testModels().types, '--batching', 'false']);
    offloaded = await startEdge(['--model', testModels().types, '--batching', 'false'], {}, { offloadJsonBytes: 0 });
  });

  afterAll(async () => {
    await inThread?.stop();
    await offloaded?.stop();
  });

  const TYPES = ['FP32', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'BOOL', 'FP16', 'FP64', 'UINT32', 'UINT64'];

  /** A request for every input of the types model, `rows` rows; INT64 and UINT64 rows cycle through the given values. */
  function request(rows: number, i64: readonly bigint[], u64: readonly bigint[]): string {
    const inputs = TYPES.map((t) => {
      const vals = t === 'INT64' ? i64 : t === 'UINT64' ? u64 : [t === 'BOOL' ? 'true' : '1'];
      const data = Array.from({ length: rows * 3 }, (_, i) => String(vals[i % vals.length]));
      return `{"name":"x_${t}","datatype":"${t}","shape":[${rows},3],"data":[${data.join(',')}]}`;
    });
    return `{"inputs":[${inputs.join(',')}],"outputs":[{"name":"y_INT64"},{"name":"y_UINT64"}]}`;
  }

  const i64 = [9007199254740993n, -9007199254740993n, 4611686018427387905n, INT64_MAX, INT64_MIN, -1n];
  const u64 = [UINT64_MAX, 9007199254740993n, 0n, 2n ** 63n + 1n];

  test.each([
    ['a small body, decoded in the HTTP thread', 'inThread', 2],
    ['a body over 16 KiB (the fast path), decoded in the HTTP thread', 'inThread', 1000],
    ['a small body, decoded in the decoder thread', 'offloaded', 2],
    ['a body over 16 KiB (the fast path), decoded in the decoder thread', 'offloaded', 1000],
  ])('%s: the outputs print the exact values', async (_why, which, rows) => {
    const srv = which === 'inThread' ? inThread : offloaded;
    const text = request(rows, i64, u64);
    if (rows > 2) expect(text.length).toBeGreaterThan(16 * 1024);
    const res = await fetch(`${srv.url}/v2/models/types/infer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
    const out = await res.text();
    expect(res.status).toBe(200);
    const want = (vals: readonly bigint[]) => Array.from({ length: rows * 3 }, (_, i) => String(vals[i % vals.length])).join(',');
    expect(out).toContain(`"name":"y_INT64","datatype":"INT64","shape":[${rows},3],"data":[${want(i64)}]`);
    expect(out).toContain(`"name":"y_UINT64","datatype":"UINT64","shape":[${rows},3],"data":[${want(u64)}]`);
  });

  test('fails with EDGE_ERR_INPUT_DATA_VALUE (400) for an INT64 value out of range, naming it', async () => {
    for (const srv of [inThread, offloaded]) {
      const r = await inferJson(srv.url, 'types', JSON.parse(request(2, [1n], [1n])) as unknown);
      expect(r.status).toBe(200);
      const res = await fetch(`${srv.url}/v2/models/types/infer`, { method: 'POST', body: request(2, [1n, INT64_MAX + 1n], [1n]) });
      const j = (await res.json()) as { code: string; error: string };
      expect(res.status).toBe(400);
      expect(j.code).toBe('EDGE_ERR_INPUT_DATA_VALUE');
      expect(j.error).toContain(`element 1 is ${INT64_MAX + 1n}: out of the INT64 range`);
    }
  });
});
