/**
 * A fast path for large JSON infer requests: finds the `inputs[i].data` arrays in the request bytes, so that their
 * numbers can be parsed straight into typed arrays, and JSON.parse only sees the small rest of the document (with each
 * data array replaced by `[]`). For a 224×224×3 FP32 tensor (about 3 MB of JSON) this is about 7 ms instead of 20–25 ms
 * for JSON.parse + copying a JS array of 150,528 numbers.
 *
 * Conservative by design: anything unusual (a string, `true`/`null` or a malformed number in a data array, an escaped
 * or duplicated key on the path, a nesting deeper than 32) makes the scan return undefined, and the caller decodes the
 * request with JSON.parse as before. Numbers are parsed with exactly JSON.parse's semantics (the nearest double):
 * a correctly rounded fast case (at most 15 significant digits and a power of ten at most 22, Clinger's fast path),
 * otherwise `Number()` of the literal. INT64/UINT64 data is read exactly instead (parseIntegersInto): integer
 * literals become BigInts from their digits, never through a double.
 *
 * Also here: parseJsonExactIntegers, the exact reading of INT64/UINT64 data for requests that do not take the fast
 * path (JSON.parse rounds integers beyond 2^53 to the nearest double). Pure, no I/O.
 */

const MAX_DEPTH = 32;

/** The byte range of one `inputs[i].data` array in the request. */
export interface DataRange {
  /** Index in the request's `inputs` array. */
  readonly input: number;
  /** Offset of `[`. */
  readonly start: number;
  /** Offset just after the matching `]`. */
  readonly end: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const D0 = 0x30;
const D9 = 0x39;

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * True when a double `v` within a few ulps of the exact value rounds to the same float32 as the exact value: it is a
 * normal float32 magnitude and not within 16 double ulps of a float32 rounding midpoint (low 29 mantissa bits 0x10000000).
 */
function f32Safe(v: number): boolean {
  F64[0] = v;
  const e = (U32[1] >>> 20) & 0x7ff;
  if (e < 1023 - 125 || e > 1023 + 126) return false;
  const low29 = U32[0] & 0x1fffffff;
  return low29 < 0x10000000 - 16 || low29 > 0x10000000 + 16;
}

/** Thrown inside the scanner to abandon the fast path (never escapes this module). */
class Bail {}
const BAIL = new Bail();

function isWs(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

class Scanner {
  public pos: number;

  constructor(private readonly b: Uint8Array, start: number, private readonly end: number) {
    this.pos = start;
  }

  public ws(): void {
    const b = this.b;
    let p = this.pos;
    while (p < this.end && isWs(b[p])) p++;
    this.pos = p;
  }

  public peek(): number {
    if (this.pos >= this.end) throw BAIL;
    return this.b[this.pos];
  }

  public expect(c: number): void {
    if (this.peek() !== c) throw BAIL;
    this.pos++;
  }

  /** A key: its raw bytes as latin1 (keys with escapes bail). Leaves pos after the closing quote. */
  public key(): string {
    this.expect(QUOTE);
    const b = this.b;
    const s = this.pos;
    let p = s;
    while (p < this.end && b[p] !== QUOTE) {
      if (b[p] === BACKSLASH || b[p] < 0x20) throw BAIL;
      p++;
    }
    if (p >= this.end) throw BAIL;
    this.pos = p + 1;
    return p - s <= 16 ? String.fromCharCode(...b.subarray(s, p)) : '';
  }

  /** Skips any JSON value (validity is left to JSON.parse, which sees these bytes verbatim). */
  public skipValue(depth: number): void {
    if (depth > 512) throw BAIL;
    const c = this.peek();
    if (c === QUOTE) {
      this.skipString();
    } else if (c === LBRACE || c === LBRACKET) {
      const close = c === LBRACE ? RBRACE : RBRACKET;
      this.pos++;
      this.ws();
      if (this.peek() === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === LBRACE) {
          this.skipString();
          this.ws();
          this.expect(COLON);
          this.ws();
        }
        this.skipValue(depth + 1);
        this.ws();
        const d = this.peek();
        this.pos++;
        if (d === close) return;
        if (d !== COMMA) throw BAIL;
        this.ws();
      }
    } else {
      // a number or a literal: up to the next delimiter
      const b = this.b;
      let p = this.pos;
      while (p < this.end && b[p] !== COMMA && b[p] !== RBRACE && b[p] !== RBRACKET && !isWs(b[p])) p++;
      if (p === this.pos) throw BAIL;
      this.pos = p;
    }
  }

  private skipString(): void {
    this.expect(QUOTE);
    const b = this.b;
    let p = this.pos;
    while (p < this.end) {
      const c = b[p];
      if (c === QUOTE) {
        this.pos = p + 1;
        return;
      }
      p += c === BACKSLASH ? 2 : 1;
    }
    throw BAIL;
  }

  /**
   * Finds the end of a data array by bracket counting (native indexOf: the array is megabytes of numbers); pos after
   * its `]`. Whether the bytes in between are a valid array of numbers is checked by parseNumbersInto.
   */
  public scanArrayEnd(): void {
    const buf = Buffer.from(this.b.buffer, this.b.byteOffset, this.end);
    let p = this.pos + 1;
    let depth = 1;
    let open = buf.indexOf(LBRACKET, p);
    while (depth > 0) {
      const close = buf.indexOf(RBRACKET, p);
      if (close < 0) throw BAIL;
      while (open >= 0 && open < close) {
        if (++depth > MAX_DEPTH + 1) throw BAIL;
        open = buf.indexOf(LBRACKET, open + 1);
      }
      depth--;
      p = close + 1;
    }
    this.pos = p;
  }
}

const NUM = 1;
/** Bytes that may continue a number literal. */
const CLASS = new Uint8Array(256);
for (const c of '0123456789-+.eE') CLASS[c.charCodeAt(0)] = NUM;

/**
 * Finds the `data` arrays of the top-level `inputs` objects in `body[0, length)` (nested at most 32 deep). Undefined
 * when the fast path does not apply (the caller uses JSON.parse).
 */
export function findDataRanges(body: Uint8Array, length: number): DataRange[] | undefined {
  const s = new Scanner(body, 0, length);
  const ranges: DataRange[] = [];
  try {
    s.ws();
    s.expect(LBRACE);
    s.ws();
    if (s.peek() === RBRACE) return undefined;
    let sawInputs = false;
    for (;;) {
      const k = s.key();
      s.ws();
      s.expect(COLON);
      s.ws();
      if (k === 'inputs') {
        if (sawInputs || s.peek() !== LBRACKET) return undefined;
        sawInputs = true;
        scanInputs(s, ranges);
      } else {
        s.skipValue(1);
      }
      s.ws();
      const c = s.peek();
      s.pos++;
      if (c === RBRACE) break;
      if (c !== COMMA) return undefined;
      s.ws();
    }
    s.ws();
    if (s.pos !== length) return undefined;
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
  return ranges.length > 0 ? ranges : undefined;
}

function scanInputs(s: Scanner, ranges: DataRange[]): void {
  s.expect(LBRACKET);
  s.ws();
  if (s.peek() === RBRACKET) {
    s.pos++;
    return;
  }
  for (let i = 0; ; i++) {
    if (s.peek() !== LBRACE) {
      s.skipValue(2);
    } else {
      s.pos++;
      s.ws();
      if (s.peek() === RBRACE) {
        s.pos++;
      } else {
        let sawData = false;
        for (;;) {
          const k = s.key();
          s.ws();
          s.expect(COLON);
          s.ws();
          if (k === 'data') {
            if (sawData) throw BAIL;
            sawData = true;
            if (s.peek() === LBRACKET) {
              const start = s.pos;
              s.scanArrayEnd();
              ranges.push({ input: i, start, end: s.pos });
            } else {
              s.skipValue(3);
            }
          } else {
            s.skipValue(3);
          }
          s.ws();
          const c = s.peek();
          s.pos++;
          if (c === RBRACE) break;
          if (c !== COMMA) throw BAIL;
          s.ws();
        }
      }
    }
    s.ws();
    const c = s.peek();
    s.pos++;
    if (c === RBRACKET) return;
    if (c !== COMMA) throw BAIL;
    s.ws();
  }
}

/**
 * The request header with every data range replaced by `[]`, as a string for JSON.parse.
 */
export function spliceOut(body: Uint8Array, length: number, ranges: readonly DataRange[]): string {
  const buf = Buffer.from(body.buffer, body.byteOffset, length);
  let s = '';
  let at = 0;
  for (const r of ranges) {
    s += buf.toString('utf8', at, r.start) + '[]';
    at = r.end;
  }
  return s + buf.toString('utf8', at, length);
}

/** Where the walk over a data range's (nested) arrays stands: the byte position and the array depth. */
interface Walk {
  p: number;
  depth: number;
}

/**
 * Moves over the whitespace, brackets and commas of a data range to the next literal, checking the JSON array grammar
 * (after '[': a value or ']'; after ',': a value; after a value: ',' or ']'). Returns 1 with `w.p` at the literal's
 * first byte, 0 when the outermost array closed (or the range ended; the caller checks `w.depth` and `w.p`), -1 on a
 * grammar error. `afterValue`: a literal was just read. Shared by parseNumbersInto and parseIntegersInto.
 */
function toLiteral(b: Uint8Array, end: number, w: Walk, afterValue: boolean): number {
  let p = w.p;
  let depth = w.depth;
  let wantValue = !afterValue;
  let allowClose = true;
  let result = 0;
  while (p < end) {
    const c = b[p];
    if (c === SPACE || c === LF || c === CR || c === TAB) {
      p++;
      continue;
    }
    if (!wantValue) {
      p++;
      if (c === COMMA) {
        wantValue = true;
        allowClose = false;
      } else if (c === RBRACKET) {
        if (--depth === 0) break;
      } else {
        return -1;
      }
      continue;
    }
    if (c === LBRACKET) {
      depth++;
      p++;
      allowClose = true;
      continue;
    }
    if (c === RBRACKET) {
      if (!allowClose) return -1;
      p++;
      wantValue = false;
      if (--depth === 0) break;
      continue;
    }
    result = 1;
    break;
  }
  w.p = p;
  w.depth = depth;
  return result;
}

/**
 * Parses the numbers of a data range (see findDataRanges) in order into `out` (flattening nested arrays), with
 * JSON.parse's value for each literal, checking the strict JSON grammar. Returns how many numbers the range holds
 * (only the first `out.length` are written), or -1 when it is not valid JSON.
 */
export function parseNumbersInto(body: Uint8Array, range: DataRange, out: Float32Array | Float64Array): number {
  const b = body;
  const f32 = out instanceof Float32Array && LITTLE_ENDIAN;
  const end = range.end;
  const limit = out.length;
  const w: Walk = { p: range.start, depth: 0 };
  let n = 0;
  let afterValue = false;
  for (;;) {
    const at = toLiteral(b, end, w, afterValue);
    if (at === 0) break;
    if (at < 0) return -1;
    afterValue = true;
    let p = w.p;
    const s = p;
    const c = b[p];
    let neg = false;
    if (c === MINUS) {
      neg = true;
      p++;
    }
    // significant digits: the first 15 in hi (exact), the next 4 in lo; more go the slow way
    let hi = 0;
    let lo = 0;
    let k = 0;
    let digits = 0;
    let exp = 0;
    let d = b[p];
    if (d === D0) {
      d = b[++p];
      if (d >= D0 && d <= D9) return -1;
    } else if (!(d > D0 && d <= D9)) {
      return -1;
    }
    while (d >= D0 && d <= D9) {
      if (digits > 0 || d !== D0) {
        if (digits < 15) hi = hi * 10 + (d - D0);
        else if (digits < 19) {
          lo = lo * 10 + (d - D0);
          k++;
        }
        digits++;
      }
      d = b[++p];
    }
    if (d === DOT) {
      d = b[++p];
      if (!(d >= D0 && d <= D9)) return -1;
      while (d >= D0 && d <= D9) {
        if (digits > 0 || d !== D0) {
          if (digits < 15) hi = hi * 10 + (d - D0);
          else if (digits < 19) {
            lo = lo * 10 + (d - D0);
            k++;
          }
          digits++;
        }
        exp--;
        d = b[++p];
      }
    }
    if (d === 0x65 || d === 0x45) {
      d = b[++p];
      let eneg = false;
      if (d === PLUS || d === MINUS) {
        eneg = d === MINUS;
        d = b[++p];
      }
      if (!(d >= D0 && d <= D9)) return -1;
      let e = 0;
      while (d >= D0 && d <= D9) {
        if (e < 100000) e = e * 10 + (d - D0);
        d = b[++p];
      }
      exp += eneg ? -e : e;
    }
    let v: number;
    let slow = false;
    if (hi === 0) {
      v = 0;
    } else if (exp < -22 || exp > 22 || digits > 19) {
      v = 0;
      slow = true;
    } else if (digits <= 15) {
      // exact operands, one correctly rounded operation: JSON.parse's double
      v = exp < 0 ? hi / POW10[-exp] : hi * POW10[exp];
    } else {
      // 16-19 digits: a double within a few ulps of JSON.parse's; for FP32 that rounds the same unless it lies
      // next to the midpoint between two floats (or outside the normal float range): then the slow way
      const m = hi * POW10[k] + lo;
      v = exp < 0 ? m / POW10[-exp] : m * POW10[exp];
      slow = !f32 || !f32Safe(v);
    }
    if (slow) {
      v = Number(String.fromCharCode(...b.subarray(s, p)));
    } else if (neg) {
      v = -v;
    }
    if (n < limit) out[n] = v;
    n++;
    if (p > end || CLASS[b[p]] === NUM) return -1;
    w.p = p;
  }
  return w.depth === 0 && w.p === end ? n : -1;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const TEN_POW_10 = 10n ** 10n;

/**
 * Parses the integer literals of a data range (see findDataRanges) in order into `out` (flattening nested arrays),
 * exactly: a BigInt from the literal's digits (JSON.parse would round values beyond 2^53 to a double). Returns how many
 * values the range holds (only the first `out.length` are written), or -1 when the exact path must decide: not valid
 * JSON, a fraction or exponent (`1.0`, `1e3`, read as JSON.parse reads them), or a value out of the range of `out`
 * (reported there as an error that names the value).
 */
export function parseIntegersInto(body: Uint8Array, range: DataRange, out: BigInt64Array | BigUint64Array): number {
  const b = body;
  const unsigned = out instanceof BigUint64Array;
  const end = range.end;
  const limit = out.length;
  const w: Walk = { p: range.start, depth: 0 };
  let n = 0;
  let afterValue = false;
  for (;;) {
    const at = toLiteral(b, end, w, afterValue);
    if (at === 0) break;
    if (at < 0) return -1;
    afterValue = true;
    let p = w.p;
    const s = p;
    const c = b[p];
    let neg = false;
    if (c === MINUS) {
      neg = true;
      p++;
    }
    // up to 15 digits are exact in a double (and within every 64-bit range); 16-20 digits as hi * 10^10 + lo, each
    // part exact in a double; longer literals (out of range unless leading zeros, which JSON has not) via BigInt(text)
    let v = 0;
    let lo = 0;
    let digits = 0;
    let d = b[p];
    if (d === D0) {
      d = b[++p];
    } else if (d > D0 && d <= D9) {
      while (d >= D0 && d <= D9) {
        if (digits < 15) v = v * 10 + (d - D0);
        digits++;
        d = b[++p];
      }
    } else {
      return -1;
    }
    // a fraction, an exponent, a leading zero before digits, or two numbers run together
    if (p > end || CLASS[d] === NUM) return -1;
    let x: bigint;
    if (digits <= 15) {
      if (neg && unsigned && v !== 0) return -1;
      x = BigInt(neg ? -v : v);
    } else {
      if (digits > 20) return -1; // beyond every 64-bit range
      const e = p - 10;
      v = 0;
      for (let q = neg ? s + 1 : s; q < e; q++) v = v * 10 + (b[q] - D0);
      for (let q = e; q < p; q++) lo = lo * 10 + (b[q] - D0);
      x = BigInt(v) * TEN_POW_10 + BigInt(lo);
      if (neg) x = -x;
      if (unsigned ? x < 0n || x > UINT64_MAX : x < INT64_MIN || x > INT64_MAX) return -1;
    }
    if (n < limit) out[n] = x;
    n++;
    w.p = p;
  }
  return w.depth === 0 && w.p === end ? n : -1;
}

/** Where a value sits in an infer request, for parseJsonExactIntegers. */
const At = { Root: 0, Inputs: 1, Input: 2, Data: 3, Elsewhere: 4 } as const;
type At = (typeof At)[keyof typeof At];

/**
 * JSON.parse of a text that JSON.parse accepts, except that in the `data` arrays of the top-level `inputs` objects an
 * integer literal (no fraction, no exponent) beyond ±Number.MAX_SAFE_INTEGER becomes a BigInt of exactly its digits
 * (JSON.parse gives the nearest double). Only that path is parsed here: every other value (and data nested deeper
 * than 32) is JSON.parse's result for its slice of the text. Call it only after JSON.parse accepted the text.
 */
export function parseJsonExactIntegers(text: string): unknown {
  const p = new ExactParser(text);
  p.ws();
  return p.value(At.Root, 0);
}

function isDelimiter(c: number): boolean {
  return c === COMMA || c === RBRACKET || c === RBRACE || c === COLON || isWs(c);
}

/** A parser for valid JSON (JSON.parse has checked it): no error handling beyond that. */
class ExactParser {
  public pos = 0;

  constructor(private readonly t: string) {}

  public ws(): void {
    while (this.pos < this.t.length && isWs(this.t.charCodeAt(this.pos))) this.pos++;
  }

  /** The value at pos (after whitespace); leaves pos after it. */
  public value(at: At, depth: number): unknown {
    const t = this.t;
    const c = t.charCodeAt(this.pos);
    if (c === LBRACE && (at === At.Root || at === At.Input)) {
      const o: Record<string, unknown> = {};
      this.pos++;
      this.ws();
      if (t.charCodeAt(this.pos) === RBRACE) {
        this.pos++;
        return o;
      }
      for (;;) {
        const k = this.string();
        this.ws();
        this.pos++; // ':'
        this.ws();
        const v = this.value(at === At.Root && k === 'inputs' ? At.Inputs : at === At.Input && k === 'data' ? At.Data : At.Elsewhere, depth + 1);
        // as JSON.parse: an own "__proto__" property, the last of duplicate keys
        if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
        this.ws();
        if (t.charCodeAt(this.pos++) === RBRACE) return o;
        this.ws();
      }
    }
    if (c === LBRACKET && (at === At.Inputs || (at === At.Data && depth <= MAX_DEPTH + 4))) {
      const a: unknown[] = [];
      this.pos++;
      this.ws();
      if (t.charCodeAt(this.pos) === RBRACKET) {
        this.pos++;
        return a;
      }
      for (;;) {
        a.push(this.value(at === At.Inputs ? At.Input : At.Data, depth + 1));
        this.ws();
        if (t.charCodeAt(this.pos++) === RBRACKET) return a;
        this.ws();
      }
    }
    const start = this.pos;
    if (at === At.Data && (c === MINUS || (c >= D0 && c <= D9))) {
      let p = start;
      while (p < t.length && !isDelimiter(t.charCodeAt(p))) p++;
      this.pos = p;
      const literal = t.slice(start, p);
      const v = Number(literal);
      return Number.isSafeInteger(v) || !/^-?\d+$/.test(literal) ? v : BigInt(literal);
    }
    this.skip();
    return JSON.parse(t.slice(start, this.pos)) as unknown;
  }

  /** A string at pos: its value. */
  private string(): string {
    const t = this.t;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        p++;
      }
      p++;
    }
    this.pos = p + 1;
    return escaped ? (JSON.parse(t.slice(start, p + 1)) as string) : t.slice(start + 1, p);
  }

  /** Moves pos past the value at pos (iteratively: any nesting depth). */
  private skip(): void {
    const t = this.t;
    let depth = 0;
    do {
      const c = t.charCodeAt(this.pos);
      if (c === QUOTE) {
        this.string();
      } else if (c === LBRACE || c === LBRACKET) {
        depth++;
        this.pos++;
      } else if (c === RBRACE || c === RBRACKET) {
        depth--;
        this.pos++;
      } else if (c === COMMA || c === COLON || isWs(c)) {
        this.pos++;
      } else {
        let p = this.pos;
        while (p < t.length && !isDelimiter(t.charCodeAt(p))) p++;
        this.pos = p;
      }
    } while (depth > 0);
  }
}
