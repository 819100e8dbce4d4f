/** Encoding of Open Inference Protocol infer responses (JSON, or a JSON header followed by binary outputs). Pure. */
import type { WireOutput } from '../model/protocol';

export interface EncodedResponse {
  /** The JSON header (the whole body when no output is binary). */
  readonly header: Buffer;
  /** Binary output sections, in the order of the outputs; empty when all outputs are JSON. */
  readonly binary: readonly Uint8Array[];
}

/** Builds the response; output data arrive pre-encoded from the worker (JSON text or bytes). */
export function encodeInferResponse(modelName: string, modelVersion: string, id: string | undefined, outputs: readonly WireOutput[]): EncodedResponse {
  let s = '{"model_name":' + JSON.stringify(modelName) + ',"model_version":' + JSON.stringify(modelVersion);
  if (id !== undefined) s += ',"id":' + JSON.stringify(id);
  s += ',"outputs":[';
  const binary: Uint8Array[] = [];
  outputs.forEach((o, i) => {
    if (i) s += ',';
    s += '{"name":' + JSON.stringify(o.name) + ',"datatype":"' + o.datatype + '","shape":[' + o.shape.join(',') + ']';
    if (o.buffer) {
      s += ',"parameters":{"binary_data_size":' + o.buffer.byteLength + '}}';
      binary.push(new Uint8Array(o.buffer));
    } else {
      s += ',"data":' + o.json + '}';
    }
  });
  s += ']}';
  return { header: Buffer.from(s, 'utf8'), binary };
}
