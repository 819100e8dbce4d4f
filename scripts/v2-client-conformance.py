#!/usr/bin/env python3
"""
Checks a running modelfleet edge runtime with real Open Inference Protocol (KServe V2) REST clients:
the Triton Python HTTP client (tritonclient.http) and, when it imports, the KServe SDK's InferenceRESTClient.

    v2-client-conformance.py URL NAME=EXPECT.json [NAME=EXPECT.json ...] [--kserve auto|on|off] [--verbose]

URL is the server's base URL (http://127.0.0.1:8080). Each NAME is a model served there; its EXPECT.json
(written by scripts/v2-client-conformance.sh) holds what the server must report and compute, derived without the
server:
  version    sha256[0:12] of the model file (the runtime's documented default version)
  inputs     [{name, datatype, shape}] from onnxruntime-node's session metadata (-1 for symbolic axes)
  outputs    same for the outputs
  semantics  "identity": output y_<T> equals input x_<T>;  "double": y = x + x;
             "reference": the `cases` give inputs and the outputs onnxruntime-node computed for them
  cases      (reference only) [{inputs: {name: nested list}, outputs: {name: nested list}}]

Prints one line per check and closes with "N passed, N failed"; exits 1 when a check failed, 2 on bad usage.
Prerequisites: `pip install tritonclient[http] numpy` (and `pip install kserve` for the KServe client), or the
client sources on PYTHONPATH.
"""
import argparse
import asyncio
import json
import sys
import traceback

try:
    import numpy as np
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException
except ImportError as e:  # the shell wrapper checks this first; this is for direct use
    sys.exit(f"missing {e.name}: run `pip install tritonclient[http] numpy`, or put the tritonclient sources on PYTHONPATH")

NP_DTYPE = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}
UNKNOWN_MODEL = "no-such-model"
WRONG_VERSION = "0000bad00000"


class Report:
    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, name, fn):
        """Runs one check; an AssertionError or any exception is a failure with its message."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every error is a reported failure
            self.failed += 1
            detail = str(e) if isinstance(e, AssertionError) else f"{type(e).__name__}: {e}"
            print(f"FAIL {name}: {detail}")
            if self.verbose and not isinstance(e, AssertionError):
                traceback.print_exc(limit=4)
            return
        self.passed += 1
        print(f"PASS {name}")


def sample(datatype, shape, binary, wide=False):
    """Deterministic test data of the datatype with its extreme values; NaN and +-inf only where the wire can carry
    them (binary tensors: JSON has no literal for them). INT64/UINT64 as JSON stay within +-2**53 unless `wide`
    (the extremes are checked on their own, see `wide_ints`)."""
    dt = NP_DTYPE[datatype]
    n = int(np.prod(shape))
    if datatype == "BOOL":
        vals = [(i * 7) % 3 == 0 for i in range(n)]
    elif datatype.startswith("FP"):
        fi = np.finfo(dt)
        pool = [1.5, -2.25, 0.0, float(fi.max), float(fi.min), float(fi.tiny), 1 / 3, -0.0]
        if binary:
            pool += [float("inf"), float("-inf"), float("nan")]
        vals = [pool[i % len(pool)] for i in range(n)]
    else:
        ii = np.iinfo(dt)
        hi, lo = int(ii.max), int(ii.min)
        if ii.bits == 64 and not binary and not wide:
            hi, lo = 2**53 - 1, max(lo, -(2**53 - 1))
        pool = [hi, lo, 0, 1, 42, hi - 1] + ([-1] if lo < 0 else [])
        vals = [pool[i % len(pool)] for i in range(n)]
    return np.array(vals, dtype=dt).reshape(shape)


def moderate(datatype, shape):
    """Values that double without overflow or rounding (for the `double` semantics)."""
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.75 - 1.25).astype(NP_DTYPE[datatype]).reshape(shape)


def concrete(shape, rows=2):
    return [rows if d == -1 else d for d in shape]


def same(actual, expected, approx=False):
    """Asserts equal dtype, shape and values (NaN equals NaN; -0.0 and 0.0 are told apart for floats)."""
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype}, expected {expected.dtype}"
    assert actual.shape == expected.shape, f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if approx:
        ok = np.allclose(actual, expected, rtol=1e-5, atol=1e-7)
    elif expected.dtype.kind == "f":
        ok = np.array_equal(actual, expected, equal_nan=True) and np.array_equal(np.signbit(actual), np.signbit(expected))
    else:
        ok = np.array_equal(actual, expected)
    assert ok, f"values {actual.ravel()[:8].tolist()}..., expected {expected.ravel()[:8].tolist()}..."


class Model:
    """One served model and what it must do, from its EXPECT.json."""

    def __init__(self, name, spec):
        self.name = name
        self.version = spec["version"]
        self.inputs = spec["inputs"]
        self.outputs = spec["outputs"]
        self.semantics = spec["semantics"]
        self.cases = spec.get("cases", [])
        if self.semantics not in ("identity", "double", "reference"):
            raise ValueError(f"{name}: semantics {self.semantics!r} is not identity, double or reference")
        if self.semantics == "reference" and not self.cases:
            raise ValueError(f"{name}: semantics reference needs at least one case")

    def case(self, binary, wide=False):
        """(inputs {name: array}, expected outputs {name: array}, approx) for one request."""
        if self.semantics == "reference":
            c = self.cases[0]
            ins = {m["name"]: np.array(c["inputs"][m["name"]], dtype=NP_DTYPE[m["datatype"]]) for m in self.inputs}
            outs = {m["name"]: np.array(c["outputs"][m["name"]], dtype=NP_DTYPE[m["datatype"]]) for m in self.outputs}
            return ins, outs, True
        if self.semantics == "identity":
            ins = {m["name"]: sample(m["datatype"], concrete(m["shape"]), binary, wide) for m in self.inputs}
            outs = {o["name"]: ins["x_" + o["name"][2:]] for o in self.outputs}
            return ins, outs, False
        ins = {m["name"]: moderate(m["datatype"], concrete(m["shape"])) for m in self.inputs}
        (x,) = ins.values()
        return ins, {o["name"]: x + x for o in self.outputs}, False


def triton_checks(rep, url, model, verbose):
    host = url.split("://", 1)[-1].rstrip("/")
    client = httpclient.InferenceServerClient(host, verbose=verbose)
    tag = f"tritonclient.http {model.name}"

    def expect_error(fn, status, *needles):
        try:
            fn()
        except InferenceServerException as e:
            assert e.status() == str(status), f"status {e.status()}, expected {status} (message: {e.message()})"
            for n in needles:
                assert n in e.message(), f"message {e.message()!r} does not name {n!r}"
            assert "fix:" in e.message(), f"message {e.message()!r} has no fix"
            return
        raise AssertionError(f"no InferenceServerException (expected HTTP {status})")

    def live_ready():
        assert client.is_server_live() is True, "is_server_live() is not True"
        assert client.is_server_ready() is True, "is_server_ready() is not True"

    def server_metadata():
        md = client.get_server_metadata()
        assert isinstance(md.get("name"), str) and md["name"], f"no name in {md}"
        assert isinstance(md.get("version"), str) and md["version"], f"no version in {md}"
        assert "binary_tensor_data" in md.get("extensions", []), f"extensions {md.get('extensions')} lack binary_tensor_data"

    def model_ready():
        assert client.is_model_ready(model.name) is True, "is_model_ready(name) is not True"
        assert client.is_model_ready(model.name, model.version) is True, f"is_model_ready(name, {model.version!r}) is not True"
        assert client.is_model_ready(UNKNOWN_MODEL) is False, f"is_model_ready({UNKNOWN_MODEL!r}) is not False"
        assert client.is_model_ready(model.name, WRONG_VERSION) is False, f"is_model_ready(name, {WRONG_VERSION!r}) is not False"

    def model_metadata():
        for md in (client.get_model_metadata(model.name), client.get_model_metadata(model.name, model.version)):
            assert md["name"] == model.name, f"name {md['name']!r}"
            assert md["versions"] == [model.version], f"versions {md['versions']}, expected [{model.version!r}]"
            for key, want in (("inputs", model.inputs), ("outputs", model.outputs)):
                got = [{"name": t["name"], "datatype": t["datatype"], "shape": t["shape"]} for t in md[key]]
                assert got == want, f"{key} {got}, expected {want}"

    def model_metadata_errors():
        expect_error(lambda: client.get_model_metadata(UNKNOWN_MODEL), 404, UNKNOWN_MODEL)
        expect_error(lambda: client.get_model_metadata(model.name, WRONG_VERSION), 404, WRONG_VERSION)

    def infer(binary_in, outputs_mode, request_id):
        ins, want, approx = model.case(binary_in)
        inputs = []
        for m in model.inputs:
            i = httpclient.InferInput(m["name"], list(ins[m["name"]].shape), m["datatype"])
            i.set_data_from_numpy(ins[m["name"]], binary_data=binary_in)
            inputs.append(i)
        names = [o["name"] for o in model.outputs]
        if outputs_mode == "unnamed":  # no outputs named: the client asks for parameters.binary_data_output
            asked, req = {n: True for n in names}, None
        elif outputs_mode == "subset":  # only the last output, as JSON
            asked = {names[-1]: False}
        elif outputs_mode == "mixed":
            asked = {n: i % 2 == 0 for i, n in enumerate(names)}
        else:
            asked = {n: outputs_mode == "binary" for n in names}
        if outputs_mode != "unnamed":
            req = [httpclient.InferRequestedOutput(n, binary_data=b) for n, b in asked.items()]
        res = client.infer(model.name, inputs, model_version=model.version if request_id else "", outputs=req, request_id=request_id)
        body = res.get_response()
        assert body.get("model_name") == model.name, f"model_name {body.get('model_name')!r}"
        assert body.get("model_version") == model.version, f"model_version {body.get('model_version')!r}, expected {model.version!r}"
        if request_id:
            assert body.get("id") == request_id, f"id {body.get('id')!r}, expected {request_id!r}"
        got = [o["name"] for o in body["outputs"]]
        assert sorted(got) == sorted(asked), f"outputs {got}, asked for {list(asked)}"
        meta = {o["name"]: o for o in model.outputs}
        for o in body["outputs"]:
            n = o["name"]
            assert o["datatype"] == meta[n]["datatype"], f"{n}: datatype {o['datatype']}, expected {meta[n]['datatype']}"
            is_binary = "binary_data_size" in (o.get("parameters") or {})
            assert is_binary == asked[n], f"{n}: binary {is_binary}, asked binary_data={asked[n]}"
            assert is_binary or "data" in o, f"{n}: neither data nor binary_data_size"
            same(res.as_numpy(n), want[n], approx)

    rep.check(f"{tag}: is_server_live and is_server_ready are True", live_ready)
    rep.check(f"{tag}: get_server_metadata names the server and binary_tensor_data", server_metadata)
    rep.check(f"{tag}: is_model_ready is True for the model and version, False for unknown ones", model_ready)
    rep.check(f"{tag}: get_model_metadata gives the versions, inputs and outputs onnxruntime reports", model_metadata)
    rep.check(f"{tag}: get_model_metadata raises 404 with the unknown name or version", model_metadata_errors)
    n = 0
    for binary_in in (False, True):
        for mode in ("unnamed", "json", "binary", "mixed", "subset"):
            n += 1
            rid = f"conf-{model.name}-{n}" if n % 2 else ""
            what = f"{'binary' if binary_in else 'JSON'} inputs, {mode} outputs" + (f", id {rid!r}, model_version" if rid else "")
            rep.check(f"{tag}: infer with {what}", lambda b=binary_in, m=mode, r=rid: infer(b, m, r))

    def wide_ints():
        """JSON INT64/UINT64 data beyond +-2**53 (up to the type's min and max) must come back exactly."""
        ins, want, _ = model.case(False, wide=True)
        inputs = []
        for m in model.inputs:
            i = httpclient.InferInput(m["name"], list(ins[m["name"]].shape), m["datatype"])
            i.set_data_from_numpy(ins[m["name"]], binary_data=False)
            inputs.append(i)
        wide = [o["name"] for o in model.outputs if o["datatype"] in ("INT64", "UINT64")]
        res = client.infer(model.name, inputs, outputs=[httpclient.InferRequestedOutput(n, binary_data=False) for n in wide])
        for n in wide:
            same(res.as_numpy(n), want[n])

    if model.semantics == "identity" and any(m["datatype"] in ("INT64", "UINT64") for m in model.inputs):
        rep.check(f"{tag}: infer with JSON INT64/UINT64 data beyond 2**53 (the types' min and max) comes back exact", wide_ints)

    def infer_errors():
        ins, _, _ = model.case(True)
        first = model.inputs[0]
        wrong = "FP64" if first["datatype"] != "FP64" else "FP32"
        good = []
        for m in model.inputs:
            i = httpclient.InferInput(m["name"], list(ins[m["name"]].shape), m["datatype"])
            i.set_data_from_numpy(ins[m["name"]], binary_data=True)
            good.append(i)
        expect_error(lambda: client.infer(UNKNOWN_MODEL, good), 404, UNKNOWN_MODEL)
        expect_error(lambda: client.infer(model.name, good, model_version=WRONG_VERSION), 404, WRONG_VERSION)
        bad = httpclient.InferInput(first["name"], list(ins[first["name"]].shape), wrong)
        bad.set_data_from_numpy(ins[first["name"]].astype(NP_DTYPE[wrong]), binary_data=True)
        expect_error(lambda: client.infer(model.name, [bad] + good[1:]), 400, first["name"], wrong, first["datatype"])

    rep.check(f"{tag}: infer raises InferenceServerException for an unknown model or version and a wrong datatype", infer_errors)
    client.close()


def kserve_checks(rep, url, model, kserve, verbose):
    import httpx

    tag = f"kserve.InferenceRESTClient {model.name}"
    loop = asyncio.new_event_loop()

    async def make():
        return kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2", verbose=verbose, retries=0))

    client = loop.run_until_complete(make())

    def run(fn):
        return lambda: loop.run_until_complete(fn())

    def kinputs(ins, binary):
        inputs = []
        for m in model.inputs:
            i = kserve.InferInput(m["name"], list(ins[m["name"]].shape), m["datatype"])
            # the KServe client refuses FP16 as JSON ("Sending FP16 data via JSON is not supported")
            i.set_data_from_numpy(ins[m["name"]], binary_data=binary or m["datatype"] == "FP16")
            inputs.append(i)
        return inputs

    async def health():
        assert await client.is_server_live(url) is True, "is_server_live is not True"
        assert await client.is_server_ready(url) is True, "is_server_ready is not True"
        assert await client.is_model_ready(url, model.name) is True, "is_model_ready(name) is not True"
        assert await client.is_model_ready(url, UNKNOWN_MODEL) is False, f"is_model_ready({UNKNOWN_MODEL!r}) is not False"

    async def infer(binary_in, out_binary, rid):
        ins, want, approx = model.case(binary_in)
        # the PyPI packages (0.20, 0.21) export RequestedOutput only from kserve.protocol.infer_type
        requested_output = getattr(kserve, "RequestedOutput", None)
        if requested_output is None:
            from kserve.protocol.infer_type import RequestedOutput as requested_output
        outs = [requested_output(o["name"], {"binary_data": out_binary}) for o in model.outputs]
        req = kserve.InferRequest(model_name=model.name, infer_inputs=kinputs(ins, binary_in), request_id=rid, request_outputs=outs)
        headers = {}
        res = await client.infer(url, req, model_name=model.name, response_headers=headers)
        # the client drops binary_data_size when it decodes a binary output: tell binary replies by their header
        is_binary = "inference-header-content-length" in {k.lower() for k in headers}
        assert is_binary == out_binary, f"reply has binary outputs: {is_binary}, asked binary_data={out_binary}"
        assert res.id == rid, f"id {res.id!r}, expected {rid!r}"
        assert res.model_name == model.name, f"model_name {res.model_name!r}"
        got = {o.name: o for o in res.outputs}
        assert sorted(got) == sorted(want), f"outputs {sorted(got)}, expected {sorted(want)}"
        for n, o in got.items():
            same(o.as_numpy(), want[n], approx)

    async def error():
        ins, _, _ = model.case(True)
        req = kserve.InferRequest(model_name=UNKNOWN_MODEL, infer_inputs=kinputs(ins, True))
        try:
            await client.infer(url, req, model_name=UNKNOWN_MODEL)
        except httpx.HTTPStatusError as e:
            assert e.response.status_code == 404, f"status {e.response.status_code}, expected 404"
            assert UNKNOWN_MODEL in str(e) and "fix:" in str(e), f"message {str(e)!r} lacks the name or the fix"
            return
        raise AssertionError("no HTTPStatusError (expected HTTP 404)")

    try:
        rep.check(f"{tag}: is_server_live, is_server_ready, is_model_ready (v2)", run(health))
        for binary_in in (False, True):
            for out_binary in (False, True):
                rid = f"kserve-{model.name}-{int(binary_in)}{int(out_binary)}"
                what = f"{'binary' if binary_in else 'JSON'} inputs, {'binary' if out_binary else 'JSON'} outputs, id {rid!r}"
                rep.check(f"{tag}: infer v2 with {what}", run(lambda b=binary_in, o=out_binary, r=rid: infer(b, o, r)))
        rep.check(f"{tag}: infer on an unknown model raises HTTPStatusError 404 with our message", run(error))
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="base URL of the runtime, e.g. http://127.0.0.1:8080")
    ap.add_argument("models", nargs="+", metavar="NAME=EXPECT.json", help="a served model and its expectation file")
    ap.add_argument("--kserve", choices=("auto", "on", "off"), default="auto",
                    help="also check with kserve.InferenceRESTClient: auto = when `import kserve` works (default)")
    ap.add_argument("--verbose", action="store_true", help="print the requests and responses (the clients' verbose mode)")
    args = ap.parse_args()
    if "://" not in args.url:
        ap.error(f"URL {args.url!r} has no scheme: give it as http://HOST:PORT")

    models = []
    for arg in args.models:
        name, sep, path = arg.partition("=")
        if not sep or not name or not path:
            ap.error(f"model argument {arg!r} is not NAME=EXPECT.json")
        with open(path, encoding="utf-8") as f:
            models.append(Model(name, json.load(f)))

    kserve = None
    if args.kserve != "off":
        try:
            import kserve  # noqa: F811
        except Exception as e:  # noqa: BLE001 - any import failure means "not available"
            if args.kserve == "on":
                sys.exit(f"--kserve on, but `import kserve` failed ({type(e).__name__}: {e}); fix: `pip install kserve`")
            print(f"SKIP kserve.InferenceRESTClient: `import kserve` failed ({type(e).__name__}: {e}); `pip install kserve` to include it")

    rep = Report(args.verbose)
    for m in models:
        triton_checks(rep, args.url, m, args.verbose)
        if kserve is not None:
            kserve_checks(rep, args.url.rstrip("/"), m, kserve, args.verbose)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
