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

describe('ServingImage.fromAsset', () => {
  test('stages only the build inputs (no node_modules, dist, cdk.out or .git) and points at edge/Dockerfile', () => {
    const { app, stack, role } = newStack();
    const config = ServingImage.fromAsset().bind(stack, role);
    expect(stack.resolve(config.imageUri)).toEqual({
      'Fn::Sub': expect.stringContaining('cdk-hnb659fds-container-assets-123456789012-eu-west-1'),
    });

    const assembly = app.synth();
    const manifestFile = fs.readdirSync(assembly.directory).find((f) => f.endsWith('.assets.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, manifestFile!), 'utf8'));
    const images = Object.values(manifest.dockerImages) as Array<{
      source: { directory: string; dockerFile: string; platform: string };
    }>;
    expect(images).toHaveLength(1);
    expect(images[0].source.dockerFile).toBe(path.join('edge', 'Dockerfile'));
    expect(images[0].source.platform).toBe('linux/amd64');

    const staged = path.join(assembly.directory, images[0].source.directory);
    expect(fs.readdirSync(staged).sort()).toEqual(
      ['.npmrc', 'edge', 'package-lock.json', 'package.json', 'tsconfig.json'].sort(),
    );
    expect(fs.existsSync(path.join(staged, 'edge', 'Dockerfile'))).toBe(true);
    expect(fs.readFileSync(path.join(staged, '.npmrc'), 'utf8')).toContain('onnxruntime-node-install=skip');
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

describe('edge/Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'edge', 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const finalStage = instructions.slice(instructions.map((l) => l.startsWith('FROM ')).lastIndexOf(true));

  test('is multi-stage on a glibc (Debian) Node 20 base, not Alpine', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20-bookworm-slim/);
    expect(dockerfile.toLowerCase()).not.toContain('alpine');
  });

  test('runs the final stage as a numeric non-root user with the runtime as entry point', () => {
    const user = finalStage.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toMatch(/^USER [1-9][0-9]*(:[1-9][0-9]*)?$/);
    expect(finalStage).toContain('ENTRYPOINT ["node", "/app/dist/edge/cli.js"]');
    expect(finalStage).toContain('CMD ["serve"]');
    expect(finalStage).toContain('EXPOSE 8080');
  });

  test('listens on 0.0.0.0:8080 through the MODELFLEET_* environment', () => {
    const env = finalStage.filter((l) => l.startsWith('ENV ')).join(' ');
    expect(env).toMatch(/MODELFLEET_HOST=0\.0\.0\.0/);
    expect(env).toMatch(/MODELFLEET_PORT=8080/);
  });

  test('keeps only the linux-x64 onnxruntime binaries and installs from the lockfile', () => {
    expect(dockerfile).toContain("! -path '*/napi-v6/linux/x64'");
    expect(dockerfile).toMatch(/RUN npm install --no-audit --no-fund/);
    expect(finalStage.some((l) => l.includes('npm ci') || l.includes('npm install'))).toBe(false);
  });

  test('the manual-build ignore file holds the same allowlist as the asset', () => {
    const ignore = fs.readFileSync(path.join(REPO_ROOT, 'edge', 'Dockerfile.dockerignore'), 'utf8')
      .split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1)).sort();
    expect(ignore).toEqual(['.npmrc', 'edge', 'package-lock.json', 'package.json', 'tsconfig.json']);
  });
});
