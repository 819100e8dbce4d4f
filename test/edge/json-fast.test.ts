/**
 * The JSON fast path (edge/tensor/json-fast.ts) against JSON.parse: the same numbers, bit for bit, and the same
 * decoded requests and errors as the exact path, on fuzzed bodies (fast-check).
 */
import fc from 'fast-check';
import { findDataRanges, parseIntegersInto, parseNumbersInto } from '../../edge/tensor/json-fast';
import { decodeInferRequest, type DecodedRequest, type ModelSignature } from '../../edge/tensor/request';

const sig: ModelSignature = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }, { name: 'y', datatype: 'FP64', shape: [-1] }],
  outputs: [{ name: 'out', datatype: 'FP32', shape: [-1] }],
  batchable: true,
};

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** Decoded tensors as comparable values (bytes as hex, so that -0 and NaN patterns count). */
function view(d: DecodedRequest): unknown {
  return {
    id: d.id,
    rows: d.rows,
    batchKey: d.batchKey,
    outputs: d.outputs,
    inputs: d.inputs.map((t) => ({ ...t, buffer: undefined, bytes: Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('hex') })),
  };
}

function outcome(body: Uint8Array, min: number, s: ModelSignature = sig): unknown {
  try {
    return view(decodeInferRequest(body, undefined, s, min));
  } catch (e) {
    return { error: (e as Error).message, code: (e as { code?: string }).code };
  }
}

/** JSON number literals, from the grammar: sign, integer part, fraction, exponent (e/E, +/-). */
const literal = fc.tuple(
  fc.boolean(),
  fc.oneof(fc.constant('0'), fc.bigInt({ min: 1n, max: 10n ** 25n }).map(String), fc.integer({ min: 1, max: 999 }).map(String)),
  fc.option(fc.stringMatching(/^[0-9]{1,24}$/), { nil: undefined }),
  fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 400 })), { nil: undefined }),
).map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : '.' + frac}${exp === undefined ? '' : exp[0] + exp[1] + String(exp[2])}`);

/** Decimals at or next to the midpoint between two adjacent floats (where rounding to FP32 via a double is delicate). */
const midpoint = fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-3e38), max: Math.fround(3e38) }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 15, max: 21 }))
  .map(([f, nudge, digits]) => {
    const up = new Float32Array([f]);
    const bits = new Uint32Array(up.buffer);
    bits[0] += 1;
    const mid = (f + up[0]) / 2;
    const v = mid + nudge * Math.abs(mid) * 2 ** -52;
    return Number.isFinite(v) ? v.toPrecision(digits) : '1';
  });

const number = fc.oneof(
  midpoint,
  literal,
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v.toExponential()),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => String(v)),
  fc.constantFrom('-0', '0', '-0.0', '0e0', '-0E-0', '1e22', '1e23', '9007199254740993', '4.9e-324', '1.7976931348623157e308', '2.2250738585072014e-308'),
);
const ws = fc.constantFrom('', ' ', '\n', '\t', ' \r\n ');

/** A data array (possibly nested), as text with whitespace, and its numbers in order. */
const nested: fc.Arbitrary<{ text: string; nums: string[] }> = fc.letrec<{ arr: { text: string; nums: string[] }; item: { text: string; nums: string[] } }>((tie) => ({
  arr: fc.tuple(fc.array(tie('item'), { maxLength: 6, depthIdentifier: 'd' }), ws, ws).map(([items, a, b]) => ({
    text: `[${a}${items.map((i) => i.text).join(`${b},${a}`)}${b}]`,
    nums: items.flatMap((i) => i.nums),
  })),
  item: fc.oneof({ depthSize: 'small', depthIdentifier: 'd' }, number.map((n) => ({ text: n, nums: [n] })), tie('arr')),
})).arr;

describe('parseNumbersInto', () => {
  test('every JSON number literal parses to the value JSON.parse gives (as FP64 and FP32)', () => {
    fc.assert(fc.property(fc.array(number, { minLength: 1, maxLength: 20 }), ws, (nums, w) => {
      const text = `[${w}${nums.join(`,${w}`)}${w}]`;
      const body = enc(`{"inputs":[{"data":${text}}]}`);
      const ranges = findDataRanges(body, body.byteLength);
      expect(ranges).toHaveLength(1);
      const f64 = new Float64Array(nums.length);
      const f32 = new Float32Array(nums.length);
      expect(parseNumbersInto(body, ranges![0], f64)).toBe(nums.length);
      parseNumbersInto(body, ranges![0], f32);
      const want = JSON.parse(text) as number[];
      expect(Buffer.from(f64.buffer).equals(Buffer.from(Float64Array.from(want).buffer))).toBe(true);
      expect(Buffer.from(f32.buffer).equals(Buffer.from(Float32Array.from(want).buffer))).toBe(true);
    }), { numRuns: 3000 });
  });

  test('negative zero stays negative', () => {
    const body = enc('{"inputs":[{"data":[-0,0,-0.0e5]}]}');
    const out = new Float64Array(3);
    parseNumbersInto(body, findDataRanges(body, body.byteLength)![0], out);
    expect([Object.is(out[0], -0), Object.is(out[1], 0), Object.is(out[2], -0)]).toEqual([true, true, true]);
  });
});

describe('findDataRanges', () => {
  test.each([
    ['a leading zero', '[01]'],
    ['a trailing comma', '[1,]'],
    ['a bare dot', '[1.]'],
    ['a dot first', '[.5]'],
    ['a bare exponent', '[1e]'],
    ['a plus sign', '[+1]'],
    ['two numbers run together', '[1-2]'],
    ['a missing comma', '[1 2]'],
    ['a missing comma between arrays', '[[1][2]]'],
    ['a leading comma', '[,1]'],
    ['two dots', '[1.2.3]'],
  ])('reports -1 (not JSON) for %s', (_why, data) => {
    expect(() => JSON.parse(data) as unknown).toThrow();
    const body = enc(`{"inputs":[{"data":${data}}]}`);
    const ranges = findDataRanges(body, body.byteLength);
    expect(ranges === undefined || parseNumbersInto(body, ranges[0], new Float32Array(8)) === -1).toBe(true);
  });

  test.each([
    ['a string in the data', '{"inputs":[{"data":[1,"2"]}]}'],
    ['null in the data', '{"inputs":[{"data":[1,null]}]}'],
    ['NaN', '{"inputs":[{"data":[NaN]}]}'],
    ['an escaped key', '{"inputs":[{"d\\u0061ta":[1]}]}'],
    ['a duplicate data key', '{"inputs":[{"data":[1],"data":[2]}]}'],
    ['a duplicate inputs key', '{"inputs":[{"data":[1]}],"inputs":[]}'],
    ['nesting deeper than 32', `{"inputs":[{"data":${'['.repeat(34)}1${']'.repeat(34)}}]}`],
    ['an unclosed array', '{"inputs":[{"data":[1,2'],
    ['trailing bytes', '{"inputs":[{"data":[1]}]} x'],
    ['not an object', '[{"inputs":[]}]'],
  ])('gives up on %s (the exact path decodes it)', (_why, text) => {
    const body = enc(text);
    const ranges = findDataRanges(body, body.byteLength);
    // either the scan gives up, or the parse of a range does
    expect(ranges === undefined || ranges.some((r) => parseNumbersInto(body, r, new Float64Array(8)) < 0)).toBe(true);
  });

  test('finds each input\'s data, skipping other keys and strings that look like keys', () => {
    const text = '{ "id" : "{\\"inputs\\":[", "inputs" : [ {"name":"x","data":[[1, 2],[3,4]],"shape":[2,2]} , {"name":"y","parameters":{"data":[9]},"data":[5]} ] }';
    const body = enc(text);
    const r = findDataRanges(body, body.byteLength)!;
    expect(r.map((x) => [x.input, text.slice(x.start, x.end)])).toEqual([[0, '[[1, 2],[3,4]]'], [1, '[5]']]);
    expect(parseNumbersInto(body, r[0], new Float64Array(4))).toBe(4);
  });
});

describe('decodeInferRequest with the fast path', () => {
  const request = fc.record({
    id: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    x: nested,
    y: nested,
    xShape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 2 }),
    yShape: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 1 }),
    order: fc.boolean(),
    extra: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  });

  test('gives the same tensors (or the same error) as JSON.parse alone', () => {
    let fastTaken = 0;
    fc.assert(fc.property(request, ws, (r, w) => {
      // shapes that fit the data most of the time, so that most cases decode
      const xShape = r.x.nums.length % 2 === 0 && r.xShape[0] !== 0 ? [2, r.x.nums.length / 2] : r.xShape;
      const yShape = r.y.nums.length > 0 && r.yShape[0] % 3 !== 0 ? [r.y.nums.length] : r.yShape;
      const x = `{${w}"name":"x","datatype":"FP32","shape":${JSON.stringify(xShape)},${w}"data":${w}${r.x.text}${w}}`;
      const y = `{"data":${r.y.text},"name":"y","shape":${JSON.stringify(yShape)},"datatype":"FP64"}`;
      const head = r.id === undefined ? '' : `"id":${JSON.stringify(r.id)},`;
      const tail = r.extra === undefined ? '' : `,"parameters":{"note":${JSON.stringify(r.extra)}}`;
      const body = enc(`{${head}${w}"inputs":[${r.order ? `${x},${y}` : `${y},${x}`}]${tail}}`);
      if (findDataRanges(body, body.byteLength) !== undefined) fastTaken++;
      expect(outcome(body, 0)).toEqual(outcome(body, Infinity));
    }), { numRuns: 2000 });
    expect(fastTaken).toBeGreaterThan(1000);
  });

  test('a mobilenet-sized FP32 body decodes to the same bytes as JSON.parse + Float32Array.from', () => {
    const n = 3 * 224 * 224;
    const data = new Float64Array(n);
    let s = 7;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      data[i] = Math.fround((s / 2147483648 - 0.5) * 6);
    }
    const text = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, n], data: Array.from(data) }] });
    const body = enc(text);
    const one: ModelSignature = { ...sig, inputs: [sig.inputs[0]] };
    expect(findDataRanges(body, body.byteLength)).toHaveLength(1);
    const fast = decodeInferRequest(body, undefined, one);
    const t = fast.inputs[0];
    const got = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    expect(got.equals(Buffer.from(Float32Array.from(JSON.parse(text).inputs[0].data as number[]).buffer))).toBe(true);
  });
});

describe('parseIntegersInto (INT64/UINT64)', () => {
  const ranged = (data: string) => {
    const body = enc(`{"inputs":[{"data":${data}}]}`);
    return { body, range: findDataRanges(body, body.byteLength)![0] };
  };

  test('every integer literal in range parses to exactly its BigInt', () => {
    fc.assert(fc.property(
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: 1, maxLength: 20 }),
      fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 20 }),
      ws,
      (i64, u64, w) => {
        const a = ranged(`[${w}${i64.join(`${w},${w}`)}${w}]`);
        const outA = new BigInt64Array(i64.length);
        expect(parseIntegersInto(a.body, a.range, outA)).toBe(i64.length);
        expect(Array.from(outA)).toEqual(i64);
        const b = ranged(`[[${u64.join(`],${w}[`)}]]`);
        const outB = new BigUint64Array(u64.length);
        expect(parseIntegersInto(b.body, b.range, outB)).toBe(u64.length);
        expect(Array.from(outB)).toEqual(u64);
      },
    ), { numRuns: 1000 });
  });

  test.each([
    ['a fraction', '[1,2.0]', false],
    ['an exponent', '[1e3]', false],
    ['INT64 max + 1', `[${2n ** 63n}]`, false],
    ['INT64 min - 1', `[${-(2n ** 63n) - 1n}]`, false],
    ['a negative UINT64', '[-1]', true],
    ['UINT64 max + 1', `[${2n ** 64n}]`, true],
    ['a leading zero', '[01]', false],
    ['a missing comma', '[1 2]', false],
    ['a trailing comma', '[1,]', false],
  ])('leaves %s to the exact path (-1)', (_why, data, unsigned) => {
    const { body, range } = ranged(data);
    expect(parseIntegersInto(body, range, unsigned ? new BigUint64Array(4) : new BigInt64Array(4))).toBe(-1);
  });

  test('-0 reads as 0 in both types', () => {
    const { body, range } = ranged('[-0,0]');
    const u = new BigUint64Array(2);
    expect(parseIntegersInto(body, range, u)).toBe(2);
    expect(Array.from(u)).toEqual([0n, 0n]);
  });
});

describe('decodeInferRequest with the fast path, INT64/UINT64 inputs', () => {
  const intSig: ModelSignature = {
    inputs: [{ name: 'i', datatype: 'INT64', shape: [-1] }, { name: 'u', datatype: 'UINT64', shape: [-1] }],
    outputs: [{ name: 'out', datatype: 'INT64', shape: [-1] }],
    batchable: true,
  };
  const intLiteral = fc.oneof(
    fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(String),
    fc.bigInt({ min: -(2n ** 53n) - 4n, max: 2n ** 53n + 4n }).map(String),
    fc.constantFrom('-0', '0', '9223372036854775807', '-9223372036854775808', '18446744073709551615', '9223372036854775808'),
    number,
  );

  test('gives the same tensors (or the same error) as the exact path', () => {
    let fastTaken = 0;
    fc.assert(fc.property(fc.array(intLiteral, { maxLength: 8 }), fc.array(intLiteral, { maxLength: 8 }), ws, (i, u, w) => {
      const body = enc(`{"inputs":[{"name":"u","datatype":"UINT64","shape":[${u.length}],"data":[${w}${u.join(`,${w}`)}]},`
        + `{"name":"i","datatype":"INT64","shape":[${i.length}],"data":[${i.join(',')}${w}]}]}`);
      if (findDataRanges(body, body.byteLength) !== undefined) fastTaken++;
      expect(outcome(body, 0, intSig)).toEqual(outcome(body, Infinity, intSig));
    }), { numRuns: 2000 });
    expect(fastTaken).toBeGreaterThan(1000);
  });
});
