import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { ModelSource } from '../../../constructs/model';
import { ModelFleetError } from '../../../constructs/core/private/modelfleet-error';
import { ModelStore, ModelStorePublisher } from '../../../constructs/model-store';

const IRIS = path.resolve(__dirname, '..', '..', '..', 'models', 'iris.onnx');

/** A platform stack with the store and a model, and two stacks that publish files into it. */
function setup(encryptionKey = false) {
  const app = new App({ builtinCloudFormationValidation: false });
  const platform = new Stack(app, 'Platform');
  const store = new ModelStore(platform, 'Store', {
    encryptionKey: encryptionKey ? new kms.Key(platform, 'Key', { enableKeyRotation: true }) : undefined,
  });
  store.addModel('iris', ModelSource.fromAsset(IRIS));
  const a = new Stack(app, 'A');
  const b = new Stack(app, 'B');
  return { app, platform, store, a, b };
}

/** A role of `stack`, whose ARN is a deploy-time value of that stack. */
function roleOf(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Pods', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
}

function crOwnedTags(platform: Stack): string[] {
  const [bucket] = Object.entries(Template.fromStack(platform).findResources('AWS::S3::Bucket'))
    .filter(([id]) => id.startsWith('StoreBucket')).map(([, r]) => r);
  return ((bucket.Properties.Tags ?? []) as Array<{ Key: string }>).map((t) => t.Key).filter((k) => k.startsWith('aws-cdk:cr-owned'));
}

function sourceCount(stack: Stack): number {
  return Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'))
    .reduce((n, d) => n + (d.Properties.SourceObjectKeys as unknown[]).length, 0);
}

describe('ModelStore.publishFile from another stack', () => {
  test('files of one stack share that stack\'s publisher; the store\'s stack gets one bucket tag per stack', () => {
    const { app, platform, store, a, b } = setup();
    const roleA = roleOf(a);
    const first = store.publishFile('kubernetes/default/x/latest.yaml', `role: ${roleA.roleArn}\n`, { jsonEscape: true, scope: roleA });
    const second = store.publishFile('kubernetes/default/y/latest.yaml', `role: ${roleA.roleArn}\n`, { jsonEscape: true, scope: a });
    const third = store.publishFile('kubernetes/default/z/latest.yaml', 'z\n', { scope: new Construct(b, 'Svc') });

    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(Stack.of(first)).toBe(a);
    expect(Stack.of(third)).toBe(b);
    expect(a.node.children.filter((c) => c instanceof ModelStorePublisher)).toHaveLength(1);
    expect(store.publishFile('kubernetes/default/w.yaml', 'w\n', { scope: platform })).toBe(store.upload);

    const assembly = app.synth();
    expect(crOwnedTags(platform)).toHaveLength(3);
    expect([sourceCount(platform), sourceCount(a), sourceCount(b)]).toEqual([2, 2, 1]);
    expect(assembly.getStackByName('A').dependencies.map((d) => d.id)).toContain('Platform');
    expect(assembly.getStackByName('Platform').dependencies.map((d) => d.id)).not.toContain('A');
    const [deployment] = Object.values(Template.fromStack(a).findResources('Custom::CDKBucketDeployment'));
    expect(deployment.Properties.Prune).toBe(false);
    expect(deployment.Properties.RetainOnDelete).toBe(true);
    expect(JSON.stringify(deployment.Properties.SourceMarkers)).toContain(a.getLogicalId(roleA.node.defaultChild as iam.CfnRole));
  });

  test('a key is written once across stacks: the same contents again add nothing, other contents fail', () => {
    const { store, a, b } = setup();
    store.publishFile('shared/file.txt', 'same\n', { scope: a });
    store.publishFile('shared/file.txt', 'same\n', { scope: a });
    let code: string | undefined;
    try {
      store.publishFile('shared/file.txt', 'other\n', { scope: b });
    } catch (e) {
      code = e instanceof ModelFleetError ? e.code : String(e);
    }
    expect(code).toBe('PublishedFileDuplicate');
    expect(sourceCount(a)).toBe(1);
  });

  test.each([false, true])('the publishers have no unacknowledged cdk-nag finding (KMS store: %s)', (encryptionKey) => {
    const { app, platform, store, a, b } = setup(encryptionKey);
    for (const stack of [a, b]) {
      const role = roleOf(stack);
      store.publishFile(`kubernetes/${stack.stackName}/latest.yaml`, `role: ${role.roleArn}\n`, { jsonEscape: true, scope: role });
    }
    app.synth();
    for (const stack of [platform, a, b]) {
      const report = new AwsSolutionsChecks(app).validateScope(stack);
      const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
      expect(findings).toEqual([]);
    }
  });
});
