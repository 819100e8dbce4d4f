#!/usr/bin/env bash
# Checks the edge runtime's Open Inference Protocol (KServe V2) REST API with real V2 clients: the Triton Python
# HTTP client (tritonclient.http) and, when it imports, the KServe SDK's InferenceRESTClient.
#
# For each model (the repo's iris classifier, an Identity model with one input per V2 datatype, a fixed-shape
# y = x + x model; the last two generated into a temp folder), it starts the runtime on a free loopback port, runs
# scripts/v2-client-conformance.py against it and stops it. Expected metadata and iris outputs come from
# onnxruntime-node, the other outputs from the models' semantics in numpy. Exits non-zero when any check fails.
#
# Usage: scripts/v2-client-conformance.sh            (from anywhere inside a checkout with node_modules installed)
# Environment:
#   PYTHON       the Python interpreter (default: python3)
#   EDGE_CLI     a built cli.js to run (default: bundle edge/cli.ts and its worker from the sources into the temp folder)
#   V2_KSERVE    auto | on | off: also check with kserve.InferenceRESTClient (default auto: when `import kserve` works)
#   V2_VERBOSE   1: print every request and response as the clients send and receive them
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
kserve_mode="${V2_KSERVE:-auto}"
esbuild="$repo/node_modules/.bin/esbuild"

fail() {
  echo "v2-client-conformance: $*" >&2
  exit 2
}

# --- prerequisites -------------------------------------------------------------------------------------------
command -v node >/dev/null || fail "node is not on PATH; fix: install Node.js 20 or later"
[[ -x "$esbuild" && -d "$repo/node_modules/onnxruntime-node" && -d "$repo/node_modules/protobufjs" ]] ||
  fail "$repo/node_modules lacks esbuild, onnxruntime-node or protobufjs; fix: run \`npm install\` in $repo"
command -v "$python" >/dev/null || fail "Python interpreter '$python' not found; fix: install Python 3.8+ or set PYTHON=/path/to/python3"
if ! "$python" -c 'import numpy, tritonclient.http' 2>/dev/null; then
  fail "$python cannot import numpy and tritonclient.http; fix: \`$python -m pip install 'tritonclient[http]' numpy\`
  (without PyPI: put the client sources on PYTHONPATH, e.g. PYTHONPATH=<triton-inference-server/client>/src/python/library,
  and install numpy, python-rapidjson and geventhttpclient, on Debian: apt-get install python3-numpy python3-rapidjson python3-geventhttpclient)"
fi
case "$kserve_mode" in auto | on | off) ;; *) fail "V2_KSERVE is '$kserve_mode'; fix: set it to auto, on or off" ;; esac
if [[ -n "${EDGE_CLI:-}" && ! -f "$EDGE_CLI" ]]; then
  fail "EDGE_CLI=$EDGE_CLI is not a file; fix: point it at a built dist/edge/cli.js, or unset it to bundle the sources"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/v2-client-conformance.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- the runtime ---------------------------------------------------------------------------------------------
cd "$repo"
if [[ -n "${EDGE_CLI:-}" ]]; then
  cli="$EDGE_CLI"
else
  # cli.js and worker.js side by side, as the runtime looks for its worker beside its module
  # the version GET /v2 reports (edge/main.ts): the bundle carries no package.json
  "$esbuild" cli=edge/cli.ts worker=edge/model/worker.ts --bundle --platform=node --target=node20 --format=cjs \
    --external:onnxruntime-node --outdir="$work/edge" --log-level=error \
    --define:MODELFLEET_VERSION="$(node -p 'JSON.stringify(require("./package.json").version)')"
  cli="$work/edge/cli.js"
fi
export NODE_PATH="$repo/node_modules"

# --- models and what the clients must see ----------------------------------------------------------------------
# Writes the generated models and <name>.expect.json files; prints "name<TAB>model file<TAB>expect file" per model.
"$esbuild" --bundle --platform=node --target=node20 --format=cjs --external:onnxruntime-node --log-level=error \
  --sourcefile=v2-conformance-models.ts --loader=ts --outfile="$work/models.js" <<'TS'
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fixedShapeModel, identityAllTypes } from './test/edge/helpers/onnx-builder';

const V2: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', bool: 'BOOL', int8: 'INT8', int16: 'INT16', int32: 'INT32',
  int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
};

function tensors(meta: readonly ort.InferenceSession.ValueMetadata[]) {
  return meta.map((m) => {
    if (!m.isTensor || !V2[m.type]) throw new Error(`${m.name}: type ${m.type} has no V2 datatype`);
    return { name: m.name, datatype: V2[m.type], shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)) };
  });
}

function nested(t: ort.Tensor): unknown {
  const flat = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  const build = (dims: readonly number[], at: number): unknown =>
    dims.length === 1 ? flat.slice(at, at + dims[0]) : Array.from({ length: dims[0] }, (_, i) => build(dims.slice(1), at + i * dims.slice(1).reduce((a, b) => a * b, 1)));
  return build(t.dims, 0);
}

async function main(): Promise<void> {
  const [dir, iris] = process.argv.slice(2);
  fs.writeFileSync(path.join(dir, 'types.onnx'), identityAllTypes());
  fs.writeFileSync(path.join(dir, 'fixed.onnx'), fixedShapeModel());
  const models: [string, string, string][] = [
    ['iris', iris, 'reference'], ['types', path.join(dir, 'types.onnx'), 'identity'], ['fixed', path.join(dir, 'fixed.onnx'), 'double'],
  ];
  for (const [name, file, semantics] of models) {
    const session = await ort.InferenceSession.create(file);
    const spec: Record<string, unknown> = {
      version: createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12),
      inputs: tensors(session.inputMetadata), outputs: tensors(session.outputMetadata), semantics,
    };
    if (semantics === 'reference') {
      // five flowers spread over the three species' ranges (cm), run by onnxruntime-node
      const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3], [4.6, 3.1, 1.5, 0.25], [6.3, 2.5, 4.9, 1.55]];
      const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]) });
      spec.cases = [{ inputs: { features: rows }, outputs: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, nested(t)])) }];
    }
    const expect = path.join(dir, `${name}.expect.json`);
    fs.writeFileSync(expect, JSON.stringify(spec, null, 1));
    process.stdout.write(`${name}\t${file}\t${expect}\n`);
    await session.release();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
TS
node "$work/models.js" "$work" "$repo/models/iris.onnx" >"$work/models.tsv"

# --- one runtime per model --------------------------------------------------------------------------------------
start_runtime() { # model file, log file; sets server_pid and url
  node "$cli" serve --model "$1" --port 0 --threads 1 </dev/null >"$2" 2>&1 &
  server_pid=$!
  url=""
  for _ in $(seq 1 150); do
    url="$(sed -n 's/.*"event":"ready","url":"\([^"]*\)".*/\1/p' "$2" | head -n 1)"
    [[ -n "$url" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "v2-client-conformance: the runtime did not get ready for $1; its log:" >&2
  cat "$2" >&2
  return 1
}

stop_runtime() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

args=(--kserve "$kserve_mode")
[[ "${V2_VERBOSE:-0}" == 1 ]] && args+=(--verbose)
failed=0
while IFS=$'\t' read -r name file expect; do
  echo "== $name ($(basename "$file"))"
  start_runtime "$file" "$work/$name.log" || { failed=1; continue; }
  "$python" "$repo/scripts/v2-client-conformance.py" "$url" "$name=$expect" "${args[@]}" </dev/null || failed=1
  stop_runtime
done <"$work/models.tsv"

if [[ "$failed" != 0 ]]; then
  echo "v2-client-conformance: FAILED (see the FAIL lines above; V2_VERBOSE=1 prints the wire)" >&2
  exit 1
fi
echo "v2-client-conformance: every check passed"
