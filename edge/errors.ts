/**
 * The one registry of edge runtime error codes. Every code maps to an HTTP status and a short "how to fix".
 * `edge/ERRORS.md` lists the same codes; a test keeps both in step. Codes are never reused.
 */
export const ERROR_CODES = {
  // configuration (exit before listening)
  EDGE_ERR_CONFIG_UNKNOWN_FLAG: { status: 0, fix: 'remove the flag or check its spelling (modelfleet-edge --help)' },
  EDGE_ERR_CONFIG_BAD_VALUE: { status: 0, fix: 'give the flag or MODELFLEET_* variable a value of the documented form' },
  EDGE_ERR_CONFIG_UNKNOWN_COMMAND: { status: 0, fix: 'use `modelfleet-edge serve ...`' },
  EDGE_ERR_CONFIG_MODEL_NOT_FOUND: { status: 0, fix: 'pass --model <file.onnx> or put exactly one .onnx file in the model directory' },
  EDGE_ERR_CONFIG_TOKEN_FILE: { status: 0, fix: 'point --token-file at a readable file holding one non-empty token' },
  EDGE_ERR_CONFIG_LISTEN: { status: 0, fix: 'choose a free --port or a local --host address' },
  // model loading and swapping
  EDGE_ERR_MODEL_LOAD_FAILED: { status: 0, fix: 'check that the file is a valid ONNX model that onnxruntime-node 1.30 can load' },
  EDGE_ERR_MODEL_SHA256_MISMATCH: { status: 0, fix: 'the model file does not match contract.json: copy both files from the same store version' },
  EDGE_ERR_MODEL_CONTRACT_CHANGED: { status: 0, fix: 'keep the inputs/outputs of the new model identical, or start with --allow-contract-change' },
  EDGE_ERR_MODEL_CONTRACT_INVALID: { status: 0, fix: 'contract.json beside the model must be the JSON written by ModelStore (schemaVersion 1)' },
  EDGE_ERR_MODEL_UNSUPPORTED_TYPE: { status: 0, fix: 'the model uses a tensor element type without a V2 datatype; export it with a supported type' },
  // HTTP / protocol
  EDGE_ERR_HTTP_NOT_FOUND: { status: 404, fix: 'use one of the Open Inference Protocol routes (GET /v2, /v2/models/{name}, POST /v2/models/{name}/infer)' },
  EDGE_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, fix: 'use GET for health and metadata, POST for infer and /invocations' },
  EDGE_ERR_HTTP_UNAUTHORIZED: { status: 401, fix: 'send the header `Authorization: Bearer <token>` with the token from --token-file' },
  EDGE_ERR_HTTP_MALFORMED: { status: 400, fix: 'send a valid HTTP/1.1 request (headers and framing)' },
  EDGE_ERR_HTTP_BODY_TOO_LARGE: { status: 413, fix: 'send a smaller body (split the batch) or raise --max-body-mb' },
  EDGE_ERR_HTTP_BODY_INCOMPLETE: { status: 400, fix: 'send the whole body; its length must match Content-Length' },
  EDGE_ERR_HTTP_HEADERS_TOO_LARGE: { status: 431, fix: 'send less than 16 KiB of request line and headers' },
  EDGE_ERR_HTTP_TIMEOUT: { status: 408, fix: 'send the headers within --headers-timeout-ms and the whole request within --request-timeout-ms' },
  EDGE_ERR_HTTP_EXPECTATION: { status: 417, fix: 'send no Expect header, or Expect: 100-continue' },
  EDGE_ERR_HTTP_TRANSFER_ENCODING: { status: 501, fix: 'send the body with Content-Length, or with Transfer-Encoding: chunked and no other transfer coding' },
  EDGE_ERR_HTTP_BODY_BUDGET: { status: 503, fix: 'retry after the Retry-After seconds, send fewer large bodies at once, or raise --max-inflight-body-mb' },
  EDGE_ERR_HTTP_TOO_MANY_CONNECTIONS: { status: 503, fix: 'retry after the Retry-After seconds, reuse connections, or raise --max-connections' },
  EDGE_ERR_MODEL_NOT_FOUND: { status: 404, fix: 'use the model name and version reported by GET /v2/models/{name}' },
  EDGE_ERR_MODEL_NOT_READY: { status: 503, fix: 'retry after GET /v2/health/ready answers 200' },
  EDGE_ERR_REQ_INVALID_JSON: { status: 400, fix: 'send a valid JSON inference request (Open Inference Protocol, section "Inference Request JSON Object")' },
  EDGE_ERR_REQ_INVALID_FIELD: { status: 400, fix: 'give the field the type the Open Inference Protocol defines' },
  EDGE_ERR_REQ_BINARY_HEADER: { status: 400, fix: 'Inference-Header-Content-Length (or json-header-size) must be an integer between 0 and the body length' },
  EDGE_ERR_REQ_TOO_COMPLEX: { status: 400, fix: 'keep the JSON outside the inputs\' "data" arrays (id, parameters, names, outputs) under 64 KiB and nested at most 512 deep' },
  EDGE_ERR_REQ_BINARY_SIZE: { status: 400, fix: 'the binary_data_size values must add up to the bytes after the JSON header' },
  EDGE_ERR_INPUT_UNKNOWN: { status: 400, fix: 'use the input names listed by GET /v2/models/{name}' },
  EDGE_ERR_INPUT_MISSING: { status: 400, fix: 'send every input listed by GET /v2/models/{name}' },
  EDGE_ERR_INPUT_DUPLICATE: { status: 400, fix: 'send each input once' },
  EDGE_ERR_INPUT_DATATYPE: { status: 400, fix: 'send the datatype listed by GET /v2/models/{name} for this input' },
  EDGE_ERR_INPUT_SHAPE: { status: 400, fix: 'send a shape of the rank and fixed sizes listed by GET /v2/models/{name} (-1 is any size >= 1)' },
  EDGE_ERR_INPUT_ZERO_SIZE: { status: 400, fix: 'send at least one element: every dimension must be 1 or more (onnxruntime aborts the process on empty tensors of some models)' },
  EDGE_ERR_INPUT_DATA_LENGTH: { status: 400, fix: 'send exactly as many elements (or binary_data_size bytes) as the shape holds' },
  EDGE_ERR_INPUT_DATA_VALUE: { status: 400, fix: 'send values of the datatype: numbers in range for numeric types, true/false for BOOL' },
  EDGE_ERR_INPUT_BYTES_UNSUPPORTED: { status: 400, fix: 'BYTES (string) tensors are not supported by this runtime; use a numeric input' },
  EDGE_ERR_OUTPUT_UNKNOWN: { status: 400, fix: 'request only output names listed by GET /v2/models/{name}' },
  EDGE_ERR_INFER_QUEUE_FULL: { status: 503, fix: 'retry after the Retry-After seconds, send fewer concurrent requests, or raise --max-queue' },
  EDGE_ERR_INFER_FAILED: { status: 400, fix: 'onnxruntime rejected the inputs; check the values against the model (the message names the node)' },
  EDGE_ERR_INFER_WORKER_CRASHED: { status: 500, fix: 'the session worker died (out of memory?); the runtime restarts it: retry, and check the memory limit' },
  EDGE_ERR_INFER_SHUTTING_DOWN: { status: 503, fix: 'the server is draining for shutdown; retry on another replica' },
  EDGE_ERR_INTERNAL: { status: 500, fix: 'a bug in the runtime: report it with the log line carrying this request' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code, a message naming the bad value, and the fix from the registry. */
export class EdgeError extends Error {
  public readonly code: ErrorCode;
  public readonly status: number;
  public readonly headers: Readonly<Record<string, string>>;

  /** An error that crossed a thread boundary: its message already ends with the fix. */
  public static fromWire(code: ErrorCode, fullMessage: string): EdgeError {
    return new EdgeError(code, fullMessage, {}, true);
  }

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}, fixIncluded = false) {
    super(fixIncluded ? message : `${message}; fix: ${ERROR_CODES[code].fix}`);
    this.name = 'EdgeError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.headers = headers;
  }
}

/** Maps anything thrown to an EdgeError (unknown errors become EDGE_ERR_INTERNAL). */
export function toEdgeError(err: unknown): EdgeError {
  if (err instanceof EdgeError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new EdgeError('EDGE_ERR_INTERNAL', `unexpected error: ${msg}`);
}
