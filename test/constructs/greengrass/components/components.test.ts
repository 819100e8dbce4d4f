import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Duration, Lazy, Size, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Dependable } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelFleetError } from '../../../../constructs/core/private/modelfleet-error';
import { LogLevel } from '../../../../constructs/core';
import { ModelStore } from '../../../../constructs/model-store';
import { EdgePlatform, ModelServerComponent, NodeRuntimeComponent } from '../../../../constructs/greengrass/components';
import { buildEdgeArtifacts } from '../../../../scripts/build-edge-artifacts';
import { irisToOnnx, trainIris } from '../../../../scripts/iris-model';
import { EdgeArtifactsManifest, sha256File } from '../../../../constructs/greengrass/components/private/artifacts';
import { NODE_DISTRIBUTIONS } from '../../../../constructs/greengrass/components/private/node-download';
import { useTmpDir } from '../../../helpers/tmp-model';
import { parseConfig } from '../../../../edge/config';
import { edgeStack, newStack, recipes, sharedEdgeStack } from './helpers';

const tmp = useTmpDir('modelfleet-gg-');

let built: EdgeArtifactsManifest;
beforeAll(async () => {
  built = await buildEdgeArtifacts();
}, 300_000);

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function caught(fn: () => unknown): ModelFleetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelFleetError) return err;
    throw err;
  }
  throw new Error('expected a ModelFleetError, nothing was thrown');
}

describe('NodeRuntimeComponent', () => {
  test('ships the node binary for aarch64 and amd64 (never x86_64), executable by every user, with its digest', () => {
    const { stack, node } = sharedEdgeStack();
    const recipe = recipes(stack).get('modelfleet.NodeRuntime')!;
    expect(recipe.ComponentVersion).toBe(node.componentVersion);
    expect(recipe.ComponentVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(recipe.Manifests.map((m) => m.Platform)).toEqual([
      { os: 'linux', architecture: 'aarch64' },
      { os: 'linux', architecture: 'amd64' },
    ]);
    const [arm, x64] = recipe.Manifests.map((m) => m.Artifacts![0]);
    expect(arm).toEqual({
      Uri: `s3://bucket-storebucket4fbde984/edge/modelfleet.NodeRuntime/${node.componentVersion}/linux-arm64/node`,
      Digest: b64(NODE_DISTRIBUTIONS['linux-arm64'].binarySha256),
      Algorithm: 'SHA-256',
      Permission: { Read: 'ALL', Execute: 'ALL' },
    });
    expect(x64.Uri).toMatch(/\/linux-x64\/node$/);
    expect(x64.Digest).toBe(b64(NODE_DISTRIBUTIONS['linux-x64'].binarySha256));
    expect(recipe.Manifests[0].Lifecycle).toEqual({ Install: { Script: "'{artifacts:path}/node' --version", Timeout: 120 } });
  });

  test('uploads each binary to edge/<component>/<version>/<platform>/ and creates the version after the upload', () => {
    const { stack, node } = sharedEdgeStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: `edge/modelfleet.NodeRuntime/${node.componentVersion}/linux-arm64/`,
      Prune: false,
      RetainOnDelete: true,
    });
    const versions = template.findResources('AWS::GreengrassV2::ComponentVersion');
    const id = stack.getLogicalId(node.resource);
    const uploads = Object.entries(template.findResources('Custom::CDKBucketDeployment'))
      .filter(([, r]) => String(r.Properties.DestinationBucketKeyPrefix).startsWith('edge/modelfleet.NodeRuntime/'))
      .map(([logicalId]) => logicalId);
    expect(uploads).toHaveLength(2);
    for (const u of uploads) expect(versions[id].DependsOn).toContain(u);
  });

  test('keeps its logical id', () => {
    const { stack, node } = sharedEdgeStack();
    expect(stack.getLogicalId(node.resource)).toBe('NodeRuntime12AAFDFE');
  });

  test('fails when the name prefix uses the reserved aws.greengrass prefix', () => {
    const stack = newStack();
    const store = new ModelStore(stack, 'Store');
    const err = caught(() => new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket, componentNamePrefix: 'aws.greengrass.mine' }));
    expect(err.code).toBe('EdgeComponentNamePrefixInvalid');
    expect(err.message).toContain('Stack/Node');
  });

  test('fails when no platform is given', () => {
    const stack = newStack();
    const store = new ModelStore(stack, 'Store');
    expect(caught(() => new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket, platforms: [] })).code)
      .toBe('EdgeComponentNoPlatform');
  });
});

describe('ModelServerComponent', () => {
  test('ships the runtime zip per platform, unarchived, and requires the exact NodeRuntime version', () => {
    const { stack, node, server } = sharedEdgeStack();
    const recipe = recipes(stack).get('modelfleet.ModelServer')!;
    expect(recipe.ComponentDependencies).toEqual({
      'modelfleet.NodeRuntime': { VersionRequirement: `=${node.componentVersion}`, DependencyType: 'HARD' },
    });
    const arm = recipe.Manifests[0].Artifacts![0];
    expect(arm.Uri).toMatch(new RegExp(`/edge/modelfleet\\.ModelServer/${server.componentVersion.replace(/\./g, '\\.')}/linux-arm64/modelfleet-edge-linux-arm64\\.zip$`));
    expect(arm.Unarchive).toBe('ZIP');
    expect(arm.Digest).toBe(b64(built.runtime['linux-arm64'].sha256));
    expect(arm.Permission).toEqual({ Read: 'ALL', Execute: 'NONE' });
    expect(recipe.Manifests[0].Lifecycle).toEqual({
      Install: {
        Script: "'{modelfleet.NodeRuntime:artifacts:path}/node' -e 'require(process.argv[1])' "
          + "'{artifacts:decompressedPath}/modelfleet-edge-linux-arm64/node_modules/onnxruntime-node'",
        Timeout: 120,
      },
    });
  });

  test('fails when a platform has no Node in the node runtime', () => {
    const stack = newStack();
    const store = new ModelStore(stack, 'Store');
    const node = new NodeRuntimeComponent(stack, 'Node', { bucket: store.bucket, platforms: [EdgePlatform.LINUX_ARM64] });
    const err = caught(() => new ModelServerComponent(stack, 'Server', {
      bucket: store.bucket, nodeRuntime: node, platforms: [EdgePlatform.LINUX_ARM64, EdgePlatform.LINUX_X64],
    }));
    expect(err.code).toBe('EdgeComponentPlatformWithoutNode');
    expect(err.message).toContain('linux-x64');
  });
});

describe('artifact permissions and platforms', () => {
  // The nucleus leaves new artifacts root-owned until their own component's first lifecycle step
  // (RunWithPathOwnershipHandler.updateOwner), and a dependent's Install does not wait for its dependencies
  // (Lifecycle.handleCurrentStateNew): what another component reads or runs must be readable/executable by all.
  test('lets the components that depend on them run node and read the runtime (ALL), and keeps the model OWNER', () => {
    const { stack } = sharedEdgeStack();
    const all = recipes(stack);
    for (const m of all.get('modelfleet.NodeRuntime')!.Manifests) {
      expect(m.Artifacts![0].Permission).toEqual({ Read: 'ALL', Execute: 'ALL' });
    }
    for (const m of all.get('modelfleet.ModelServer')!.Manifests) {
      expect(m.Artifacts![0].Permission).toMatchObject({ Read: 'ALL' });
    }
    for (const m of all.get('modelfleet.Model.iris')!.Manifests) {
      for (const a of m.Artifacts!) expect(a.Permission).toEqual({ Read: 'OWNER', Execute: 'NONE' });
    }
  });

  test('claims no runtime, so Greengrass nucleus lite (no cross-component variables) finds no manifest', () => {
    const { stack } = sharedEdgeStack();
    for (const recipe of recipes(stack).values()) {
      for (const m of recipe.Manifests) expect(Object.keys(m.Platform).sort()).toEqual(['architecture', 'os']);
    }
  });
});

describe('ModelComponent', () => {
  test('runs modelfleet-edge serve with the dependencies\' artifact paths and its configuration', () => {
    const { stack, model, node, server } = sharedEdgeStack();
    const recipe = recipes(stack).get('modelfleet.Model.iris')!;
    expect(recipe.ComponentDependencies).toEqual({
      'modelfleet.ModelServer': { VersionRequirement: `=${server.componentVersion}`, DependencyType: 'HARD' },
      'modelfleet.NodeRuntime': { VersionRequirement: `=${node.componentVersion}`, DependencyType: 'HARD' },
    });
    const run = (recipe.Manifests[0].Lifecycle!.Run as { Script: string }).Script;
    expect(run).toContain("exec '{modelfleet.NodeRuntime:artifacts:path}/node' "
      + "'{modelfleet.ModelServer:artifacts:decompressedPath}/modelfleet-edge-linux-arm64/cli.js' serve "
      + `--model '{artifacts:path}/model.onnx' --name 'iris' --model-version '${model.model.version}' `
      + "--host '{configuration:/host}' --port '{configuration:/port}' --threads '{configuration:/threads}' "
      + "--max-batch '{configuration:/maxBatch}' --batch-delay-ms '{configuration:/batchDelayMs}'");
    expect(run).toContain('${TOKEN_FILE:+--token-file "$TOKEN_FILE"}');
    // the runtime settings without an edge default: passed only when the configuration has a value
    expect(run).toContain('${SETTING_WORKERS:+--workers "$SETTING_WORKERS"} ${SETTING_MAX_QUEUE:+--max-queue "$SETTING_MAX_QUEUE"} '
      + '${SETTING_MAX_BODY_MB:+--max-body-mb "$SETTING_MAX_BODY_MB"} ${SETTING_LOG_LEVEL:+--log-level "$SETTING_LOG_LEVEL"}');
    expect(run.split('\n')).toEqual(expect.arrayContaining(["SETTING_WORKERS='{configuration:/workers}'",
      "SETTING_MAX_QUEUE='{configuration:/maxQueue}'", "SETTING_MAX_BODY_MB='{configuration:/maxBodyMb}'",
      "SETTING_LOG_LEVEL='{configuration:/logLevel}'"]));
    // the metric lines the fleet's log manager uploads: off when metricsIntervalSeconds is empty
    expect(run.split('\n')).toContain("EMF_INTERVAL='{configuration:/metricsIntervalSeconds}'");
    expect(run).toContain('${EMF_INTERVAL:+--emf-file \'{work:path}/modelfleet-metrics.log\' --emf-interval-s "$EMF_INTERVAL" '
      + "--emf-device '{iot:thingName}'}");
    expect(run.split('\n')).toContain('export MALLOC_ARENA_MAX=2');
    expect((recipe.Manifests[1].Lifecycle!.Run as { Script: string }).Script).toContain('/modelfleet-edge-linux-x64/cli.js');
  });

  test('its Install step waits for /v2/health/ready so a server that never gets ready fails the deployment', () => {
    const { stack } = edgeStack({ readinessTimeout: Duration.seconds(90) });
    const install = recipes(stack).get('modelfleet.Model.iris')!.Manifests[0].Lifecycle!.Install as { Script: string; Timeout: number };
    expect(install.Script).toContain("'{modelfleet.ModelServer:artifacts:decompressedPath}/modelfleet-edge-linux-arm64/wait-ready.js' "
      + "'{configuration:/host}' '{configuration:/port}' 90 \"$pid\"");
    expect(install.Script).toMatch(/exit \$status$/);
    expect(install.Timeout).toBe(150);
  });

  test('its Install step, which the nucleus runs at every start, checks readiness once per version and port', () => {
    // Install runs whenever a service starts from NEW, i.e. at install and at every nucleus start
    // (Lifecycle.handleCurrentStateNew); the recipe reference says the same.
    const { stack } = sharedEdgeStack();
    const script = (recipes(stack).get('modelfleet.Model.iris')!.Manifests[0].Lifecycle!.Install as { Script: string }).Script;
    const dir = fs.mkdtempSync(path.join(tmp(), 'install-'));
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const calls = path.join(dir, 'calls');
    const stub = path.join(dir, 'node');
    fs.writeFileSync(stub, `#!/bin/sh\necho "$*" >> '${calls}'\nexit 0\n`, { mode: 0o755 });
    const resolved = (port: string): string => script
      .replace(/\{modelfleet\.NodeRuntime:artifacts:path\}\/node/g, stub)
      .replace(/\{work:path\}/g, work)
      .replace(/\{configuration:\/port\}/g, port)
      .replace(/\{[A-Za-z.:/]+\}/g, 'x');
    const run = (port: string) => spawnSync('sh', ['-c', resolved(port)], { encoding: 'utf8' });
    // readiness checks run so far (the stubbed server may be killed before it logs its own call)
    const count = (): number => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('wait-ready.js').length - 1 : 0);

    expect(run('8080').status).toBe(0);
    expect(count()).toBe(1);
    const boot = run('8080'); // a reboot: Install again
    expect(boot.status).toBe(0);
    expect(boot.stdout).toContain('already passed');
    expect(count()).toBe(1);
    expect(run('9090').status).toBe(0); // another port: checked again, and only the new marker is kept
    expect(count()).toBe(2);
    expect(fs.readdirSync(work).filter((f) => f.startsWith('ready-'))).toEqual([expect.stringMatching(/-9090$/)]);
  });

  test('writes every configuration value as a string, with defaults', () => {
    const { stack } = sharedEdgeStack();
    expect(recipes(stack).get('modelfleet.Model.iris')!.ComponentConfiguration).toEqual({
      DefaultConfiguration: {
        host: '127.0.0.1', port: '8080', threads: '2', workers: '', maxBatch: '8', batchDelayMs: '2', maxQueue: '', maxBodyMb: '', logLevel: '',
        tokenFile: '', metricsIntervalSeconds: '300',
      },
    });
    const custom = edgeStack({ port: 9000, host: '0.0.0.0', threads: 4, workers: 2, maxBatch: 16, batchDelay: Duration.millis(5), maxQueue: 128,
      maxBodySize: Size.kibibytes(512), logLevel: LogLevel.WARN, tokenFile: '/etc/modelfleet/token', metricsInterval: Duration.seconds(0) });
    expect(recipes(custom.stack).get('modelfleet.Model.iris')!.ComponentConfiguration!.DefaultConfiguration).toEqual({
      host: '0.0.0.0', port: '9000', threads: '4', workers: '2', maxBatch: '16', batchDelayMs: '5', maxQueue: '128', maxBodyMb: '0.5',
      logLevel: 'warn', tokenFile: '/etc/modelfleet/token', metricsIntervalSeconds: '',
    });
  });

  test('its command line, as the device\'s shell runs it, is what the runtime\'s own parser reads back', () => {
    const { stack } = edgeStack({ threads: 4, workers: 2, maxQueue: 128, maxBodySize: Size.kibibytes(512), logLevel: LogLevel.WARN });
    const recipe = recipes(stack).get('modelfleet.Model.iris')!;
    const config = recipe.ComponentConfiguration!.DefaultConfiguration!;
    const script = (recipe.Manifests[1].Lifecycle!.Run as { Script: string }).Script;
    const dir = fs.mkdtempSync(path.join(tmp(), 'run-'));
    const model = path.join(dir, 'model.onnx');
    fs.writeFileSync(model, 'x');
    const stub = path.join(dir, 'node');
    fs.writeFileSync(stub, '#!/bin/sh\nprintf \'%s\\n\' "$@"\n', { mode: 0o755 });
    const resolved = script
      .replace(/\{modelfleet\.NodeRuntime:artifacts:path\}\/node/g, stub)
      .replace(/\{artifacts:path\}\/model\.onnx/g, model)
      .replace(/\{configuration:\/([A-Za-z]+)\}/g, (_m, key: string) => String(config[key]))
      .replace(/\{[A-Za-z.:/]+\}/g, dir);
    const run = spawnSync('sh', ['-c', resolved], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const argv = run.stdout.trim().split('\n').slice(1); // after cli.js
    const parsed = parseConfig(argv, {}, { cpuCount: 4, cwd: dir });
    expect(parsed).toMatchObject({ threads: 4, workers: 2, maxBatch: 8, batchDelayMs: 2, maxQueue: 128, maxBodyBytes: 512 * 1024,
      logLevel: 'warn', port: 8080, host: '127.0.0.1' });
    expect(parsed.token).toBeUndefined();
  });

  test('uses the model\'s own objects in the store as artifacts, with their digests, after the model upload', () => {
    const { stack, model } = sharedEdgeStack();
    const artifacts = recipes(stack).get('modelfleet.Model.iris')!.Manifests[0].Artifacts!;
    expect(artifacts.map((a) => a.Uri.split('/').slice(3).join('/'))).toEqual([model.model.objectKey, model.model.contractKey]);
    expect(artifacts[0].Digest).toBe(b64(model.model.sha256));
    expect(artifacts[1].Digest).toBe(b64(sha256File(model.model.localContractPath!)));
    const resource = Template.fromStack(stack).findResources('AWS::GreengrassV2::ComponentVersion')[stack.getLogicalId(model.resource)];
    const uploadIds = Dependable.of(model.model.upload).dependencyRoots
      .flatMap((root) => root.node.findAll()).filter(CfnResource.isCfnResource).map((r) => stack.getLogicalId(r));
    expect(uploadIds.length).toBeGreaterThan(0);
    expect(resource.DependsOn).toEqual(expect.arrayContaining(uploadIds));
  });

  test('exposes a componentRef whose version is the component version attribute', () => {
    const { stack, model } = sharedEdgeStack();
    expect(model.componentRef.componentName).toBe('modelfleet.Model.iris');
    expect(stack.resolve(model.componentRef.componentVersion)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(model.resource), 'ComponentVersion'] });
  });

  test('keeps its version for unchanged content; a model update changes the model component\'s version only', () => {
    const a = sharedEdgeStack();
    const b = edgeStack();
    expect([b.node.componentVersion, b.server.componentVersion, b.model.componentVersion])
      .toEqual([a.node.componentVersion, a.server.componentVersion, a.model.componentVersion]);
    const weights = trainIris();
    const file = path.join(tmp(), 'iris.onnx');
    fs.writeFileSync(file, irisToOnnx({ ...weights, bias: weights.bias.map((v) => v + 0.25) }));
    const c = edgeStack({}, file);
    expect(c.node.componentVersion).toBe(a.node.componentVersion);
    expect(c.server.componentVersion).toBe(a.server.componentVersion);
    expect(c.model.componentVersion).not.toBe(a.model.componentVersion);
  });

  test('a configuration change makes a new model component version', () => {
    expect(edgeStack({ port: 9001 }).model.componentVersion).not.toBe(sharedEdgeStack().model.componentVersion);
  });

  test('keeps its logical id', () => {
    const { stack, model } = sharedEdgeStack();
    expect(stack.getLogicalId(model.resource)).toBe('Iris41E3AD9B');
  });

  test('fails with every bad value at once, the runtime settings with the runtime\'s own ranges', () => {
    const err = caught(() => edgeStack({ port: 0, threads: 1.5, maxBatch: 0, batchDelay: Duration.millis(2000), maxQueue: 0,
      maxBodySize: Size.gibibytes(5), tokenFile: 'token.txt' }));
    expect(err.code).toBe('EdgeModelPortOutOfRange');
    for (const code of ['RuntimeThreadsOutOfRange', 'RuntimeMaxBatchOutOfRange', 'RuntimeBatchDelayOutOfRange', 'RuntimeMaxQueueOutOfRange',
      'RuntimeMaxBodySizeOutOfRange', 'EdgeModelTokenFileInvalid']) {
      expect(err.message).toContain(code);
    }
    expect(err.message).toContain('got 0');
    expect(err.message).toContain('Stack/Iris');
  });

  test('fails when workers exceed the edge default of 2 threads', () => {
    const err = caught(() => edgeStack({ workers: 3 }));
    expect(err.code).toBe('RuntimeWorkersOutOfRange');
    expect(err.message).toContain('workers (3) must be at most threads (2)');
  });

  test('takes up to 256 threads, the runtime\'s own limit', () => {
    expect(recipes(edgeStack({ threads: 128 }).stack).get('modelfleet.Model.iris')!.ComponentConfiguration!.DefaultConfiguration!.threads)
      .toBe('128');
    expect(caught(() => edgeStack({ threads: 257 })).code).toBe('RuntimeThreadsOutOfRange');
  });

  test('fails on a host that is not an address', () => {
    expect(caught(() => edgeStack({ host: "127.0.0.1'; rm -rf /" })).code).toBe('EdgeModelHostInvalid');
  });

  test('fails on a readiness timeout out of range', () => {
    expect(caught(() => edgeStack({ readinessTimeout: Duration.seconds(1) })).code).toBe('EdgeModelReadinessTimeoutOutOfRange');
  });

  test('fails on a metrics interval out of range', () => {
    const err = caught(() => edgeStack({ metricsInterval: Duration.seconds(5) }));
    expect(err.code).toBe('EdgeModelMetricsIntervalOutOfRange');
    expect(err.message).toContain('got 5 s');
  });

  test('skips tokenized values', () => {
    const port = Token.asNumber(Lazy.number({ produce: () => 8081 }));
    const seconds = Token.asNumber(Lazy.number({ produce: () => 60 }));
    const threads = Token.asNumber(Lazy.number({ produce: () => 3 }));
    const maxQueue = Token.asNumber(Lazy.number({ produce: () => 99 }));
    const { stack } = edgeStack({ port, threads, maxQueue, metricsInterval: Duration.seconds(seconds) });
    const config = recipes(stack).get('modelfleet.Model.iris')!.ComponentConfiguration!.DefaultConfiguration!;
    expect(config.port).toBe('8081');
    expect(config.threads).toBe('3');
    expect(config.maxQueue).toBe('99');
    expect(config.metricsIntervalSeconds).toBe('60');
  });

  test('grantArtifactRead lets the grantee read only this component\'s and its dependencies\' artifacts', () => {
    const { stack, model } = edgeStack();
    const role = new iam.Role(stack, 'TokenExchange', { assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com') });
    model.grantArtifactRead(role);
    const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown[] }[];
    const objectResources = statements.flatMap((st) => st.Resource)
      .map((r) => JSON.stringify(r))
      .filter((r) => r.includes('Fn::Join'))
      .map((r) => (JSON.parse(r) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]);
    expect(objectResources.sort()).toEqual([
      '/edge/modelfleet.ModelServer/*', '/edge/modelfleet.NodeRuntime/*', `/${model.model.prefix}*`,
    ].sort());
    for (const st of statements) expect(st.Action).not.toContain('s3:PutObject');
  });

  test('grantArtifactRead returns one grant holding the statements of the component and of its dependencies', () => {
    const { stack, model } = edgeStack();
    const role = new iam.Role(stack, 'TokenExchange', { assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com') });
    const grant = model.grantArtifactRead(role);
    const resources = grant.principalStatements.flatMap((st) => st.resources.map((r) => JSON.stringify(stack.resolve(r))));
    for (const part of ['/edge/modelfleet.ModelServer/*', '/edge/modelfleet.NodeRuntime/*', `/${model.model.prefix}*`]) {
      expect(resources.some((r) => r.includes(part))).toBe(true);
    }
  });
});

describe('EdgePlatform', () => {
  test('maps the Pi to aarch64 and x86-64 to amd64, as the nucleus reports them', () => {
    expect([EdgePlatform.LINUX_ARM64.architecture, EdgePlatform.LINUX_X64.architecture]).toEqual(['aarch64', 'amd64']);
    expect(EdgePlatform.all().map((p) => p.nodePlatform)).toEqual(['linux-arm64', 'linux-x64']);
  });
});
