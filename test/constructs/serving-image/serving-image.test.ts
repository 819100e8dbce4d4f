import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ServingImage } from '../../../constructs/serving-image';
import { freePort } from '../../helpers/free-port';
import { stopChild, waitForHttp200 } from '../../helpers/spawn-runtime';
import { IRIS_MODEL, useTmpDir } from '../../helpers/tmp-model';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function newStack(): { app: App; stack: Stack; role: iam.Role } {
  // the built-in CloudFormation validation costs about 15 s on a worker's first synth and only warns
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { app, stack, role };
}

/** Every ECR action the role's policies allow, flattened. */
function allowedActions(stack: Stack): string[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const actions: string[] = [];
  for (const policy of Object.values(policies)) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>) {
      actions.push(...([] as string[]).concat(statement.Action));
    }
  }
  return actions;
}

interface StagedImage { source: { directory: string; dockerFile: string; platform: string; dockerBuildTarget?: string } }

function stagedImages(assemblyDir: string): StagedImage[] {
  const manifestFile = fs.readdirSync(assemblyDir).find((f) => f.endsWith('.assets.json'));
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, manifestFile!), 'utf8'));
  return Object.values(manifest.dockerImages) as StagedImage[];
}

describe('ServingImage.fromAsset', () => {
  test('stages only the Dockerfile, its unzip helper and the prebuilt x64 runtime zip from the package', () => {
    const { app, stack, role } = newStack();
    const config = ServingImage.fromAsset().bind(stack, role);
    expect(stack.resolve(config.imageUri)).toEqual({
      'Fn::Sub': expect.stringContaining('cdk-hnb659fds-container-assets-123456789012-eu-west-1'),
    });

    const images = stagedImages(app.synth().directory);
    expect(images).toHaveLength(1);
    expect(images[0].source.dockerFile).toBe(path.join('serving-image', 'Dockerfile'));
    expect(images[0].source.platform).toBe('linux/amd64');
    expect(images[0].source.dockerBuildTarget).toBe('runtime');

    const staged = path.join(app.outdir, images[0].source.directory);
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name])).sort();
    expect(files(staged)).toEqual([
      'runtime-linux-x64/modelfleet-edge-linux-x64.zip', 'serving-image/Dockerfile', 'serving-image/unzip.js',
    ]);
  });

  test('binds the root stage for targets that need it (SageMaker) and the user-1000 stage otherwise, one asset each', () => {
    const { app, stack, role } = newStack();
    const image = ServingImage.fromAsset();
    const root = image.bind(stack, role, { runAsRoot: true });
    const pods = image.bind(new Construct(stack, 'Pods'));
    expect(stack.resolve(root.imageUri)).not.toEqual(stack.resolve(pods.imageUri));
    expect(image.bind(new Construct(stack, 'Again'), role, { runAsRoot: true }).imageUri).toBe(root.imageUri);
    expect(stagedImages(app.synth().directory).map((i) => i.source.dockerBuildTarget).sort()).toEqual(['runtime', 'sagemaker']);
  });

  test('grants the grantee pull access to the asset repository', () => {
    const { stack, role } = newStack();
    ServingImage.fromAsset().bind(stack, role);
    expect(allowedActions(stack)).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']));
    expect(allowedActions(stack)).toContain('ecr:GetAuthorizationToken');
  });

  test('creates one asset per stack however often it is bound', () => {
    const { app, stack, role } = newStack();
    const image = ServingImage.fromAsset();
    const first = image.bind(stack, role);
    const second = image.bind(new Construct(stack, 'Other'), role);
    expect(second.imageUri).toBe(first.imageUri);
    expect(stack.node.findAll().filter((c) => c instanceof ecrAssets.DockerImageAsset)).toHaveLength(1);
    const assembly = app.synth();
    const manifestFile = fs.readdirSync(assembly.directory).find((f) => f.endsWith('.assets.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, manifestFile!), 'utf8'));
    expect(Object.keys(manifest.dockerImages)).toHaveLength(1);
  });
});

describe('ServingImage.fromAsset with a given directory', () => {
  test('builds that directory\'s Dockerfile for linux/amd64', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfleet-image-'));
    try {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
      fs.writeFileSync(path.join(dir, 'ignored.txt'), 'x');
      const { app, stack } = newStack();
      ServingImage.fromAsset({ directory: dir, exclude: ['ignored.txt'] }).bind(stack);
      const assembly = app.synth();
      const manifestFile = fs.readdirSync(assembly.directory).find((f) => f.endsWith('.assets.json'));
      const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, manifestFile!), 'utf8'));
      const image = Object.values(manifest.dockerImages)[0] as { source: { directory: string; dockerFile?: string; platform: string } };
      expect(image.source.platform).toBe('linux/amd64');
      expect(fs.readdirSync(path.join(assembly.directory, image.source.directory))).toEqual(['Dockerfile']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ServingImage.fromRegistry', () => {
  test('uses the URI as given and grants nothing', () => {
    const { stack, role } = newStack();
    const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/modelfleet:1.0.0';
    expect(ServingImage.fromRegistry(uri).bind(stack, role)).toEqual({ imageUri: uri });
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('fails when the URI is empty', () => {
    expect(() => ServingImage.fromRegistry(' ')).toThrow(expect.objectContaining({ code: 'ServingImageUriEmpty' }));
  });
});

describe('ServingImage.fromEcrRepository', () => {
  test('points at the tag and grants pull on that repository only', () => {
    const { stack, role } = newStack();
    const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'modelfleet');
    const config = ServingImage.fromEcrRepository(repo, '1.2.3').bind(stack, role);
    expect(stack.resolve(config.imageUri)).toEqual({
      'Fn::Join': ['', [
        '123456789012.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/modelfleet:1.2.3',
      ]],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        })]),
      },
    });
  });

  test('uses @ for a digest and "latest" without a tag', () => {
    const { stack } = newStack();
    const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'modelfleet');
    const digest = `sha256:${'a'.repeat(64)}`;
    const withDigest = JSON.stringify(stack.resolve(ServingImage.fromEcrRepository(repo, digest).bind(stack).imageUri));
    expect(withDigest).toContain(`/modelfleet@${digest}`);
    const latest = JSON.stringify(stack.resolve(ServingImage.fromEcrRepository(repo).bind(stack).imageUri));
    expect(latest).toContain('/modelfleet:latest');
  });
});

/** The Dockerfile's stages: name, base and instructions (continuation lines joined, comments dropped). */
function stages(dockerfile: string): Array<{ name: string; from: string; lines: string[] }> {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const out: Array<{ name: string; from: string; lines: string[] }> = [];
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
    if (from) out.push({ name: from[2] ?? String(out.length), from: from[1], lines: [] });
    else if (out.length > 0) out[out.length - 1].lines.push(line);
  }
  return out;
}

/** A stage's instructions with those of the stages it is built on (base first). */
function chain(all: ReturnType<typeof stages>, name: string): string[] {
  const stage = all.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return [...(all.some((s) => s.name === stage.from) ? chain(all, stage.from) : []), ...stage.lines];
}

describe('edge/Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'edge', 'Dockerfile'), 'utf8');
  const all = stages(dockerfile);
  const last = all[all.length - 1];

  test('is multi-stage on a glibc (Debian) Node 24 base, not Alpine', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:24-bookworm-slim/);
    expect(dockerfile.toLowerCase()).not.toContain('alpine');
  });

  test('the default (last) stage `runtime` runs as a numeric non-root user; `sagemaker` runs as root', () => {
    expect(last.name).toBe('runtime');
    expect(chain(all, 'runtime').filter((l) => l.startsWith('USER ')).pop()).toMatch(/^USER [1-9][0-9]*(:[1-9][0-9]*)?$/);
    // SageMaker expects containers to run as root ("Use Your Own Inference Code with Hosting Services")
    expect(chain(all, 'sagemaker').filter((l) => l.startsWith('USER ')).pop()).toBe('USER 0:0');
    for (const name of ['runtime', 'sagemaker']) {
      const lines = chain(all, name);
      expect(lines).toContain('ENTRYPOINT ["node", "/app/cli.js"]');
      expect(lines).toContain('CMD ["serve"]');
      expect(lines).toContain('EXPOSE 8080');
    }
  });

  test('listens on 0.0.0.0:8080 through the MODELFLEET_* environment', () => {
    const env = chain(all, 'runtime').filter((l) => l.startsWith('ENV ')).join(' ');
    expect(env).toMatch(/MODELFLEET_HOST=0\.0\.0\.0/);
    expect(env).toMatch(/MODELFLEET_PORT=8080/);
  });

  test('installs nothing: no npm, no lockfile, no compiler; only the prebuilt zip and unzip.js are copied in', () => {
    expect(all.flatMap((s) => s.lines).join('\n')).not.toMatch(/npm (ci|install)|package-lock|tsc|esbuild/);
    const copies = all.flatMap((s) => s.lines).filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.map((l) => l.split(/\s+/)[1]).sort()).toEqual(['runtime-linux-x64/modelfleet-edge-linux-x64.zip', 'serving-image/unzip.js']);
  });
});

describe('the staged serving image context, as the Dockerfile uses it', () => {
  const tmp = useTmpDir('modelfleet-image-run-');

  test('every COPY source exists; the unpack step gives a runtime that answers /ping when started as the CMD would', async () => {
    const { app, stack } = newStack();
    ServingImage.fromAsset().bind(stack);
    const [image] = stagedImages(app.synth().directory);
    const context = path.join(app.outdir, image.source.directory);
    const all = stages(fs.readFileSync(path.join(context, image.source.dockerFile), 'utf8'));
    for (const copy of all.flatMap((s) => s.lines).filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      expect(fs.existsSync(path.join(context, copy.split(/\s+/)[1]))).toBe(true);
    }
    // the unpack stage's RUN, with the image's paths moved under a temporary root
    const out = path.join(tmp(), 'out', 'app');
    const unpack = spawnSync(process.execPath, [path.join(context, 'serving-image', 'unzip.js'),
      path.join(context, 'runtime-linux-x64', 'modelfleet-edge-linux-x64.zip'), out], { encoding: 'utf8' });
    expect(unpack.status).toBe(0);
    // ENTRYPOINT ["node", "/app/cli.js"] + CMD ["serve"], with the stage's environment (a free port instead of 8080,
    // the model as a pod passes it)
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const line of chain(all, image.source.dockerBuildTarget!).filter((l) => l.startsWith('ENV '))) {
      for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k] = v;
    }
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(out, 'cli.js'), 'serve'], {
      env: { ...env, HOME: tmp(), MODELFLEET_HOST: '127.0.0.1', MODELFLEET_PORT: String(port), MODELFLEET_MODEL: IRIS_MODEL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const res = await waitForHttp200(`http://127.0.0.1:${port}/ping`, child);
      expect(res.status).toBe(200);
    } finally {
      await stopChild(child);
    }
  }, 60_000);
});
