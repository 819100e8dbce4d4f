/**
 * `modelfleet verify`: after `cdk deploy`, check that every target answers the golden request with the golden response.
 *
 * Reads the stack outputs written by `cdk deploy --outputs-file`, waits for each SageMaker endpoint to be InService,
 * invokes it with the golden request, calls the Kubernetes service and every `--url` given (Open Inference Protocol
 * over HTTP), compares each answer with the golden response within its tolerance and exits 1 if any target differs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeEndpointCommand, SageMakerClient, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GoldenDocument } from '../../constructs/fleet/private/golden';
import { compareResponse } from '../../constructs/fleet/private/golden-compare';
import { VERIFY_OUTPUT_PREFIX, VERIFY_SCHEMA, VerifyTarget } from '../../constructs/fleet/private/verify-target';

const USAGE = `usage: modelfleet verify --outputs <cdk-outputs.json> [options]

Checks every deployed target of every modelfleet model against its golden request and response.

  --outputs FILE            the file written by 'cdk deploy --outputs-file FILE'; without it, --golden files name
                            the models and only the --url targets are checked
  --assembly DIR            the cloud assembly that holds golden.json files (default: cdk.out)
  --golden FILE             a golden.json to use instead of the assembly's (repeatable, matched by model name)
  --stack NAME              only the outputs of this stack (repeatable)
  --model NAME              only this model (repeatable)
  --url NAME=URL            also check an HTTP target, e.g. --url pi-01=http://192.168.1.20:8080 (repeatable);
                            the request goes to URL/v2/models/<model>/infer unless URL already names a path
  --kubernetes-url URL      the Kubernetes service URL to use (e.g. after kubectl port-forward)
  --token-file FILE         send 'Authorization: Bearer <token>' to the HTTP targets
  --skip-sagemaker          do not wait for nor invoke the SageMaker endpoints
  --region REGION           the SageMaker endpoints' region (default: from the outputs, then the AWS environment)
  --timeout-minutes N       how long to wait for an endpoint to be InService (default: 30)
  --poll-seconds N          first delay between endpoint status checks (default: 15)
  --http-timeout-seconds N  timeout of one HTTP or SageMaker call (default: 30)

Exit status: 0 when every target matches, 1 when any target fails, 2 on a usage error.
`;

/** Where the command writes: injectable for tests. */
export interface VerifyIo {
  out(line: string): void;
  err(line: string): void;
}

const STD_IO: VerifyIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

interface Options {
  readonly outputs?: string;
  readonly assembly: string;
  readonly golden: string[];
  readonly stacks: string[];
  readonly models: string[];
  readonly urls: Array<{ name: string; url: string }>;
  readonly kubernetesUrl?: string;
  readonly token?: string;
  readonly skipSageMaker: boolean;
  readonly region?: string;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
  readonly httpTimeoutMs: number;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  }
  return n;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'outputs': { type: 'string' },
      'assembly': { type: 'string' },
      'golden': { type: 'string', multiple: true },
      'stack': { type: 'string', multiple: true },
      'model': { type: 'string', multiple: true },
      'url': { type: 'string', multiple: true },
      'kubernetes-url': { type: 'string' },
      'token-file': { type: 'string' },
      'skip-sagemaker': { type: 'boolean' },
      'region': { type: 'string' },
      'timeout-minutes': { type: 'string' },
      'poll-seconds': { type: 'string' },
      'http-timeout-seconds': { type: 'string' },
      'help': { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (!values.outputs && !(values.golden ?? []).length) {
    throw new UsageError('--outputs is required: deploy with `cdk deploy --outputs-file cdk-outputs.json` and pass that file '
      + '(or pass --golden FILE and --url NAME=URL to check HTTP targets only)');
  }
  const urls = (values.url ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const url = spec.slice(eq + 1);
    if (eq <= 0 || !/^https?:\/\//.test(url)) {
      throw new UsageError(`--url must be NAME=http(s)://HOST:PORT, got '${spec}'`);
    }
    return { name, url };
  });
  let token: string | undefined;
  if (values['token-file']) {
    token = fs.readFileSync(values['token-file'], 'utf8').trim();
  }
  return {
    outputs: values.outputs,
    assembly: values.assembly ?? 'cdk.out',
    golden: values.golden ?? [],
    stacks: values.stack ?? [],
    models: values.model ?? [],
    urls,
    kubernetesUrl: values['kubernetes-url'],
    token,
    skipSageMaker: values['skip-sagemaker'] ?? false,
    region: values.region,
    timeoutSeconds: positive('timeout-minutes', values['timeout-minutes'], 30) * 60,
    pollSeconds: positive('poll-seconds', values['poll-seconds'], 15),
    httpTimeoutMs: positive('http-timeout-seconds', values['http-timeout-seconds'], 30) * 1000,
  };
}

/** The verify targets found in an outputs file (`{ "<stack>": { "<key>": "<value>" } }`). */
export function readTargets(outputsFile: string, stacks: string[]): Array<VerifyTarget & { stack: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(outputsFile, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the outputs file ${outputsFile}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new UsageError(`${outputsFile} is not a 'cdk deploy --outputs-file' JSON object`);
  }
  const targets: Array<VerifyTarget & { stack: string }> = [];
  for (const [stack, outputs] of Object.entries(parsed as Record<string, unknown>)) {
    if (stacks.length > 0 && !stacks.includes(stack)) continue;
    if (typeof outputs !== 'object' || outputs === null) continue;
    for (const [key, value] of Object.entries(outputs as Record<string, unknown>)) {
      if (!key.startsWith(VERIFY_OUTPUT_PREFIX) || typeof value !== 'string') continue;
      try {
        const target = JSON.parse(value) as VerifyTarget;
        if (target.modelfleet === VERIFY_SCHEMA && typeof target.model === 'string') {
          targets.push({ ...target, stack });
        }
      } catch {
        // Not ours: an output that merely shares the prefix.
      }
    }
  }
  return targets;
}

function readGolden(file: string): GoldenDocument {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as GoldenDocument;
  if (!doc || typeof doc.model !== 'string' || !doc.request || !doc.response) {
    throw new UsageError(`${file} is not a golden.json (it needs model, request and response)`);
  }
  return doc;
}

function findGolden(target: VerifyTarget, options: Options, given: GoldenDocument[]): GoldenDocument {
  const explicit = given.find((g) => g.model === target.model);
  if (explicit) return explicit;
  const relative = target.goldenAssemblyPath ?? `modelfleet/${target.model}/${target.version}/golden.json`;
  const file = path.join(options.assembly, relative);
  if (!fs.existsSync(file)) {
    throw new UsageError(`no golden request for model '${target.model}' version ${target.version}: ${file} does not `
      + 'exist. Run verify from the directory where `cdk deploy` ran (it synthesizes cdk.out), pass --assembly DIR, '
      + `or pass --golden FILE (the store holds it at s3://${target.bucket ?? '<bucket>'}/${target.goldenKey ?? '...'})`);
  }
  return readGolden(file);
}

function inferUrl(base: string, model: string): string {
  const url = new URL(base);
  if (url.pathname === '/' || url.pathname === '') {
    url.pathname = `/v2/models/${encodeURIComponent(model)}/infer`;
  }
  return url.toString();
}

async function callHttp(url: string, golden: GoldenDocument, options: Options): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(golden.request),
    signal: AbortSignal.timeout(options.httpTimeoutMs),
  });
  const text = await res.text();
  if (res.status === 404) {
    // the fleet names the model after the construct (or `modelName`); a local `modelfleet-edge serve` after the file
    throw new Error(`HTTP 404 from ${url}: ${text.slice(0, 500)}. The target serves no model named '${golden.model}': `
      + `the fleet calls it '${golden.model}', while \`modelfleet-edge serve --model <file>\` names a model after its file; `
      + `start the runtime with --name ${golden.model} (or MODELFLEET_NAME=${golden.model})`);
  }
  if (!res.ok) {
    throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text);
}

async function waitForEndpoint(endpointName: string, client: SageMakerClient, options: Options, io: VerifyIo): Promise<void> {
  const started = Date.now();
  let lastStatus = '';
  // The waiter only calls `send`: report every status change it sees.
  const reporting = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: DescribeEndpointCommand) => {
        const result = await target.send(command);
        const status = result.EndpointStatus ?? 'unknown';
        if (status !== lastStatus) {
          lastStatus = status;
          io.out(`  sagemaker: endpoint ${endpointName} is ${status} (${Math.round((Date.now() - started) / 1000)} s)`);
        }
        return result;
      };
    },
  });
  try {
    await waitUntilEndpointInService({
      client: reporting,
      maxWaitTime: options.timeoutSeconds,
      minDelay: options.pollSeconds,
      maxDelay: Math.max(options.pollSeconds, Math.min(60, options.timeoutSeconds / 4)),
    }, { EndpointName: endpointName });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError'
      ? `was not InService after ${Math.round(options.timeoutSeconds / 60 * 10) / 10} minutes (last status: ${lastStatus || 'unknown'})`
      : await failureReason(endpointName, client, err as Error);
    throw new Error(`endpoint ${endpointName} ${reason}`);
  }
}

async function failureReason(endpointName: string, client: SageMakerClient, err: Error): Promise<string> {
  try {
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    return `is ${described.EndpointStatus}${described.FailureReason ? `: ${described.FailureReason}` : ''}`;
  } catch (describeErr) {
    return `cannot be described: ${(describeErr as Error).message || err.message}`;
  }
}

async function invokeSageMaker(endpointName: string, golden: GoldenDocument, region: string | undefined,
  options: Options, io: VerifyIo): Promise<unknown> {
  const client = new SageMakerClient({ region });
  await waitForEndpoint(endpointName, client, options, io);
  const runtime = new SageMakerRuntimeClient({ region });
  const result = await runtime.send(new InvokeEndpointCommand({
    EndpointName: endpointName,
    ContentType: 'application/json',
    Accept: 'application/json',
    Body: Buffer.from(JSON.stringify(golden.request)),
  }), { abortSignal: AbortSignal.timeout(options.httpTimeoutMs) });
  const text = Buffer.from(result.Body ?? new Uint8Array()).toString('utf8');
  return JSON.parse(text);
}

interface Check {
  readonly target: string;
  readonly where: string;
  readonly answer: () => Promise<unknown>;
}

async function verifyModel(target: VerifyTarget & { stack: string }, golden: GoldenDocument, options: Options,
  io: VerifyIo): Promise<string[]> {
  io.out(`${target.stack}: model ${target.model} version ${target.version} (tolerance ${golden.tolerance})`);
  if (golden.version !== target.version) {
    io.out(`  note: the golden request is for version ${golden.version}, the stack deployed ${target.version}`);
  }
  const checks: Check[] = [];
  if (target.sagemakerEndpointName && !options.skipSageMaker) {
    const endpoint = target.sagemakerEndpointName;
    checks.push({
      target: 'sagemaker',
      where: endpoint,
      answer: () => invokeSageMaker(endpoint, golden, options.region ?? target.region, options, io),
    });
  }
  const kubernetesUrl = options.kubernetesUrl ?? target.kubernetesServiceUrl;
  if (kubernetesUrl) {
    const url = inferUrl(kubernetesUrl, target.model);
    checks.push({ target: 'kubernetes', where: url, answer: () => callHttp(url, golden, options) });
  }
  for (const extra of options.urls) {
    const url = inferUrl(extra.url, target.model);
    checks.push({ target: extra.name, where: url, answer: () => callHttp(url, golden, options) });
  }
  if (checks.length === 0) {
    io.out('  no target to check (SageMaker off or skipped, no Kubernetes URL, no --url)');
  }
  const failed: string[] = [];
  for (const check of checks) {
    let diffs: string[];
    try {
      diffs = compareResponse(golden.response, await check.answer(), golden.tolerance);
    } catch (err) {
      diffs = [(err as Error).message];
    }
    if (diffs.length === 0) {
      io.out(`  ok    ${check.target} (${check.where}) matches the golden response`);
    } else {
      failed.push(`${target.model}/${check.target}`);
      io.out(`  FAIL  ${check.target} (${check.where}):`);
      for (const line of diffs) io.out(`          ${line}`);
    }
  }
  return failed;
}

/** Runs `modelfleet verify`; returns the exit status. */
export async function run(argv: string[], io: VerifyIo = STD_IO): Promise<number> {
  let options: Options | undefined;
  let targets: Array<VerifyTarget & { stack: string }>;
  let goldens: GoldenDocument[];
  try {
    options = parseOptions(argv);
    if (!options) {
      io.out(USAGE);
      return 0;
    }
    const filter = options.models;
    goldens = options.golden.map(readGolden);
    const found = options.outputs
      ? readTargets(options.outputs, options.stacks)
      : goldens.map((g) => ({ modelfleet: VERIFY_SCHEMA, model: g.model, version: g.version, stack: 'local' }));
    targets = found.filter((t) => filter.length === 0 || filter.includes(t.model));
    if (targets.length === 0) {
      throw new UsageError(`no modelfleet model in ${options.outputs ?? 'the --golden files'}`
        + `${filter.length ? ` named ${filter.join(', ')}` : ''}: `
        + `expected outputs named ${VERIFY_OUTPUT_PREFIX}<Model> (a ModelFleet in the deployed stack writes them)`);
    }
  } catch (err) {
    io.err(`modelfleet verify: ${(err as Error).message}`);
    io.err('run `modelfleet verify --help` for the options');
    return 2;
  }
  const failed: string[] = [];
  for (const target of targets) {
    try {
      failed.push(...await verifyModel(target, findGolden(target, options, goldens), options, io));
    } catch (err) {
      io.out(`  FAIL  ${target.model}: ${(err as Error).message}`);
      failed.push(target.model);
    }
  }
  if (failed.length > 0) {
    io.err(`modelfleet verify: ${failed.length} target(s) failed: ${failed.join(', ')}`);
    return 1;
  }
  io.out('modelfleet verify: every target matches its golden response');
  return 0;
}
