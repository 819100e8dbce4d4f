import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { stopGoldenWorker } from '../../constructs/fleet/private/golden';
import { EdgeOnlyStack } from '../../examples/edge-only';
import { GitOpsClusterStack } from '../../examples/gitops-cluster';
import { IrisFleetStack } from '../../examples/iris-fleet';
import { ModelFleetStack } from '../../lib/modelfleet-stack';

/**
 * cfn-lint (PyPI, pinned in .ci/requirements-cfn-lint.txt) over every template the repository synthesizes: the default
 * app and every example, with the context of cdk.json as `cdk synth` uses it. Zero errors; every warning kept is listed
 * in KEPT_WARNINGS with its reason, and a kept warning that no longer occurs fails the test too (so the list stays true).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CFN_LINT = path.join(ROOT, '.venv', 'bin', 'cfn-lint');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = (require(path.join(ROOT, 'cdk.json')) as { context: Record<string, unknown> }).context;

/** Each warning kept: its rule, the logical ids it may be on, and the reason it stays. */
const KEPT_WARNINGS: Array<{ rule: string; resource: RegExp; reason: string }> = [
  {
    rule: 'W3005',
    resource: /SageMakerModel[0-9A-F]{8}$/,
    reason: 'The model DependsOn its execution role construct, i.e. the role and every policy attached to it, even '
      + 'one added after the endpoint (aws-cdk #10064: SageMaker checks the role when the model is created). The '
      + 'role itself is also a GetAtt; the policies are not, and they are what the dependency is for.',
  },
  {
    rule: 'W3005',
    resource: /^(CustomCDKBucketDeployment|BucketNotificationsHandler|AWS679f53fac002430cb0da5b7982bd2287|AWSCDKCfnUtilsProvider).*[0-9A-F]{8}$/,
    reason: 'Functions aws-cdk-lib creates (the BucketDeployment upload, the S3 notifications handler, the '
      + 'AwsCustomResource, the CfnUtils provider) DependsOn their service role, and with it its policy, so that the '
      + 'function can act when it first runs; not ours to change.',
  },
  {
    rule: 'W3005',
    resource: /ClaimCertificate(Handler)?[0-9A-F]{8}$/,
    reason: 'The Greengrass claim certificate custom resource and its handler (constructs/greengrass) depend on their '
      + 'handler and role explicitly as well as through GetAtt: redundant, harmless.',
  },
  {
    rule: 'W3005',
    resource: /ProvisioningPreHook[0-9A-F]{8}$/,
    reason: 'The fleet\'s default pre-provisioning hook (constructs/greengrass) is a lambda.Function: aws-cdk-lib makes '
      + 'it DependsOn its service role (a GetAtt too) so that its policy exists before AWS IoT first calls it.',
  },
];

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path?: Array<string | number> };
}

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-')); });
afterAll(async () => {
  await stopGoldenWorker();
  fs.rmSync(dir, { recursive: true, force: true });
});

function newApp(name: string): App {
  return new App({
    outdir: path.join(dir, name),
    builtinCloudFormationValidation: false,
    context: { ...CDK_CONTEXT, 'aws:cdk:disable-asset-staging': true },
  });
}

/** Synthesizes the app and returns the path of every stack template it wrote. */
function templates(app: App): string[] {
  const assembly = app.synth();
  return assembly.stacks.map((s) => path.join(assembly.directory, s.templateFile));
}

function lint(files: string[]): Finding[] {
  if (!fs.existsSync(CFN_LINT)) {
    throw new Error(`${CFN_LINT} is missing: run scripts/setup-python-tools.sh (it installs the tools pinned in `
      + '.ci/requirements-*.txt into .venv/; .ci/run does it in CI)');
  }
  let out: string;
  try {
    out = execFileSync(CFN_LINT, ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    // cfn-lint exits non-zero when it finds anything; its findings are still on stdout
    const e = err as { stdout?: string; stderr?: string; status?: number };
    if (e.stdout === undefined || e.stdout.trim() === '') {
      throw new Error(`cfn-lint failed (exit ${e.status}): ${e.stderr}`);
    }
    out = e.stdout;
  }
  return out.trim() === '' ? [] : JSON.parse(out) as Finding[];
}

function describeFinding(f: Finding): string {
  return `${f.Level} ${f.Rule.Id} ${path.basename(f.Filename)} ${(f.Location.Path ?? []).join('/')}: ${f.Message}`;
}

/** The kept warning that explains the finding, if any. */
function keptFor(f: Finding): number {
  const resource = f.Location.Path?.[0] === 'Resources' ? String(f.Location.Path[1]) : '';
  return KEPT_WARNINGS.findIndex((k) => k.rule === f.Rule.Id && k.resource.test(resource));
}

describe('cfn-lint', () => {
  test('passes every template of the default app and of every example with no error and only the warnings kept', () => {
    const files: string[] = [];
    const defaultApp = newApp('default');
    new ModelFleetStack(defaultApp, 'ModelFleet', {
      modelPath: path.join(ROOT, 'models', 'iris.onnx'), historyFile: path.join(dir, 'h0.json'),
    });
    files.push(...templates(defaultApp));
    const examples: Array<(app: App, history: string) => Stack> = [
      (app, historyFile) => new IrisFleetStack(app, 'IrisFleet', { historyFile }),
      (app, historyFile) => new EdgeOnlyStack(app, 'EdgeOnly', { historyFile }),
      (app, historyFile) => new GitOpsClusterStack(app, 'IrisGitOps', { historyFile }),
    ];
    examples.forEach((make, i) => {
      const app = newApp(`example-${i}`);
      make(app, path.join(dir, `h${i + 1}.json`));
      files.push(...templates(app));
    });
    expect(files.length).toBeGreaterThanOrEqual(4);

    const findings = lint(files);
    const errors = findings.filter((f) => f.Level === 'Error').map(describeFinding);
    expect(errors).toEqual([]);
    const warnings = findings.filter((f) => f.Level === 'Warning');
    expect(warnings.filter((f) => keptFor(f) < 0).map(describeFinding)).toEqual([]);
    const seen = new Set(warnings.map(keptFor));
    expect(KEPT_WARNINGS.filter((_, i) => !seen.has(i)).map((k) => `${k.rule} ${k.resource}`)).toEqual([]);
  }, 300_000);
});
