/**
 * Reads the few fields of an ONNX file (a protobuf `onnx.ModelProto`, https://github.com/onnx/onnx/blob/main/onnx/onnx.proto,
 * proto3 field numbers) that a model contract needs, straight from the protobuf wire format: the IR version, the
 * producer, the opsets, and the graph's inputs, outputs and initializer names. Every other field (the nodes, the
 * weights) is skipped by its length without being decoded, so reading a large model stays cheap. No dependency: the
 * constructs run at synth inside any CDK app, and inside jsii's kernel for Python apps.
 */

/** ONNX element type number (`TensorProto.DataType`) → Open Inference Protocol (KServe V2) datatype name. */
export const ONNX_TO_V2_DATATYPE: ReadonlyMap<number, string> = new Map([
  [1, 'FP32'],
  [2, 'UINT8'],
  [3, 'INT8'],
  [4, 'UINT16'],
  [5, 'INT16'],
  [6, 'INT32'],
  [7, 'INT64'],
  [8, 'BYTES'],
  [9, 'BOOL'],
  [10, 'FP16'],
  [11, 'FP64'],
  [12, 'UINT32'],
  [13, 'UINT64'],
]);

/** `TensorShapeProto.Dimension`: a fixed size or a symbolic name. */
export interface OnnxDimension {
  readonly dimValue?: number;
  readonly dimParam?: string;
}

/** `ValueInfoProto`, with `TypeProto` reduced to what a contract uses. */
export interface OnnxValueInfo {
  readonly name?: string;
  readonly type?: {
    /** Present when the value is a tensor (`TypeProto.tensor_type`). */
    readonly tensorType?: { readonly elemType?: number; readonly shape?: { readonly dim?: OnnxDimension[] } };
    /** Set when the value is a sequence, map, optional or sparse tensor: no contract for those. */
    readonly otherType?: boolean;
  };
}

/** The header of a `ModelProto`. */
export interface OnnxHeader {
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly opsetImport?: Array<{ readonly domain?: string; readonly version?: number }>;
  readonly graph?: {
    readonly name?: string;
    readonly initializer?: Array<{ readonly name?: string }>;
    readonly input?: OnnxValueInfo[];
    readonly output?: OnnxValueInfo[];
  };
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** A cursor over one message's bytes `[pos, end)`. */
class Reader {
  constructor(private readonly buf: Uint8Array, public pos: number, public readonly end: number) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error(`truncated message: a value runs past byte ${this.end}`);
    return this.buf[this.pos++];
  }

  /** A varint that fits 32 bits (tags, lengths). */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (value > 0xffffffff) throw new Error(`varint at byte ${this.pos} is larger than 32 bits`);
        return value;
      }
    }
    throw new Error(`varint at byte ${this.pos} is longer than 32 bits`);
  }

  /** An `int64`/`int32` varint as a (signed) number, as protobufjs' `longs: Number` gives it. */
  int64(): number {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, value));
    }
    throw new Error(`varint at byte ${this.pos} is longer than 10 bytes`);
  }

  /** The next field's number and wire type, from its tag. */
  tag(): { field: number; wire: number } {
    const tag = this.uint32();
    const field = tag >>> 3;
    if (field === 0) throw new Error(`field number 0 at byte ${this.pos}`);
    return { field, wire: tag & 7 };
  }

  /** A length-delimited field's bytes as a reader of their own. */
  sub(): Reader {
    const length = this.uint32();
    const start = this.pos;
    if (start + length > this.end) throw new Error(`truncated message: ${length} bytes announced at byte ${start}, ${this.end - start} left`);
    this.pos = start + length;
    return new Reader(this.buf, start, start + length);
  }

  string(): string {
    const r = this.sub();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + r.pos, r.end - r.pos).toString('utf8');
  }

  /** Skips a field of the given wire type (groups, deprecated and unused by ONNX, are refused). */
  skip(wire: number): void {
    switch (wire) {
      case VARINT: this.int64(); return;
      case FIXED64: this.advance(8); return;
      case LENGTH_DELIMITED: this.sub(); return;
      case FIXED32: this.advance(4); return;
      default: throw new Error(`invalid wire type ${wire} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error(`truncated message: ${n} bytes needed at byte ${this.pos}`);
    this.pos += n;
  }
}

/** Reads a message: `onField` handles the fields it knows (checking their wire type) and returns false for the rest. */
function readMessage(r: Reader, onField: (field: number, wire: number) => boolean): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (!onField(field, wire)) r.skip(wire);
  }
}

function expectWire(field: number, wire: number, want: number): void {
  if (wire !== want) throw new Error(`field ${field} has wire type ${wire}, expected ${want}`);
}

function readDimension(r: Reader): OnnxDimension {
  let dim: { dimValue?: number; dimParam?: string } = {};
  readMessage(r, (field, wire) => {
    // `value` is a oneof: the last one on the wire wins
    if (field === 1) { expectWire(field, wire, VARINT); dim = { dimValue: r.int64() }; return true; }
    if (field === 2) { expectWire(field, wire, LENGTH_DELIMITED); dim = { dimParam: r.string() }; return true; }
    return false;
  });
  return dim;
}

function readTensorType(r: Reader): { elemType?: number; shape?: { dim?: OnnxDimension[] } } {
  const out: { elemType?: number; shape?: { dim?: OnnxDimension[] } } = {};
  readMessage(r, (field, wire) => {
    if (field === 1) { expectWire(field, wire, VARINT); out.elemType = r.int64(); return true; }
    if (field === 2) {
      expectWire(field, wire, LENGTH_DELIMITED);
      const dims: OnnxDimension[] = [];
      const shape = r.sub();
      readMessage(shape, (f, w) => {
        if (f === 1) { expectWire(f, w, LENGTH_DELIMITED); dims.push(readDimension(shape.sub())); return true; }
        return false;
      });
      out.shape = { dim: dims };
      return true;
    }
    return false;
  });
  return out;
}

/** `TypeProto` fields: 1 tensor, 4 sequence, 5 map, 8 sparse tensor, 9 optional (a oneof). */
function readType(r: Reader): NonNullable<OnnxValueInfo['type']> {
  let out: NonNullable<OnnxValueInfo['type']> = {};
  readMessage(r, (field, wire) => {
    if (field === 1) { expectWire(field, wire, LENGTH_DELIMITED); out = { tensorType: readTensorType(r.sub()) }; return true; }
    if (field === 4 || field === 5 || field === 8 || field === 9) {
      expectWire(field, wire, LENGTH_DELIMITED);
      r.sub();
      out = { otherType: true };
      return true;
    }
    return false;
  });
  return out;
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const out: { name?: string; type?: OnnxValueInfo['type'] } = {};
  readMessage(r, (field, wire) => {
    if (field === 1) { expectWire(field, wire, LENGTH_DELIMITED); out.name = r.string(); return true; }
    if (field === 2) { expectWire(field, wire, LENGTH_DELIMITED); out.type = readType(r.sub()); return true; }
    return false;
  });
  return out;
}

function readGraph(r: Reader): NonNullable<OnnxHeader['graph']> {
  const out = { name: undefined as string | undefined, initializer: [] as Array<{ name?: string }>, input: [] as OnnxValueInfo[], output: [] as OnnxValueInfo[] };
  readMessage(r, (field, wire) => {
    switch (field) {
      case 2: expectWire(field, wire, LENGTH_DELIMITED); out.name = r.string(); return true;
      case 5: {
        // an initializer (TensorProto): only its name (field 8) is read, its data is skipped
        expectWire(field, wire, LENGTH_DELIMITED);
        const tensor: { name?: string } = {};
        const t = r.sub();
        readMessage(t, (f, w) => {
          if (f === 8) { expectWire(f, w, LENGTH_DELIMITED); tensor.name = t.string(); return true; }
          return false;
        });
        out.initializer.push(tensor);
        return true;
      }
      case 11: expectWire(field, wire, LENGTH_DELIMITED); out.input.push(readValueInfo(r.sub())); return true;
      case 12: expectWire(field, wire, LENGTH_DELIMITED); out.output.push(readValueInfo(r.sub())); return true;
      default: return false;
    }
  });
  return out;
}

/**
 * Reads the header of an ONNX model. Throws an `Error` saying where the bytes are not a valid protobuf message (the
 * caller turns it into `ModelFileInvalid`).
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxHeader {
  const r = new Reader(bytes, 0, bytes.length);
  const out: { irVersion?: number; producerName?: string; opsetImport: Array<{ domain?: string; version?: number }>; graph?: OnnxHeader['graph'] } = {
    opsetImport: [],
  };
  readMessage(r, (field, wire) => {
    switch (field) {
      case 1: expectWire(field, wire, VARINT); out.irVersion = r.int64(); return true;
      case 2: expectWire(field, wire, LENGTH_DELIMITED); out.producerName = r.string(); return true;
      case 7: expectWire(field, wire, LENGTH_DELIMITED); out.graph = readGraph(r.sub()); return true;
      case 8: {
        expectWire(field, wire, LENGTH_DELIMITED);
        const opset: { domain?: string; version?: number } = {};
        const o = r.sub();
        readMessage(o, (f, w) => {
          if (f === 1) { expectWire(f, w, LENGTH_DELIMITED); opset.domain = o.string(); return true; }
          if (f === 2) { expectWire(f, w, VARINT); opset.version = o.int64(); return true; }
          return false;
        });
        out.opsetImport.push(opset);
        return true;
      }
      default: return false;
    }
  });
  return out;
}
