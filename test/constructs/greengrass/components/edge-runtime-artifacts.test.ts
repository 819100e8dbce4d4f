import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelStore } from '../../../../constructs/model-store';
import {
  EdgePlatform, EdgeRuntimeArtifacts, ModelServerComponent, NodeRuntimeComponent,
} from '../../../../constructs/greengrass/components';
import { ModelFleetError } from '../../../../constructs/core/private/modelfleet-error';
import { buildEdgeArtifacts, defaultArtifactsDir } from '../../../../scripts/build-edge-artifacts';
import { useTmpDir } from '../../../helpers/tmp-model';
import { newStack, recipes } from './helpers';

const tmp = useTmpDir('modelfleet-own-artifacts-');
beforeAll(async () => {
  await buildEdgeArtifacts();
}, 300_000);

function server(artifacts?: EdgeRuntimeArtifacts): ModelServerComponent {
  const stack = newStack();
  const store = new ModelStore(stack, 'Store');
  const nodeRuntime = new NodeRuntimeComponent(stack, 'NodeRuntime', { bucket: store.bucket, platforms: [EdgePlatform.LINUX_ARM64] });
  return new ModelServerComponent(stack, 'ModelServer', { bucket: store.bucket, nodeRuntime, runtimeArtifacts: artifacts });
}

describe('EdgeRuntimeArtifacts', () => {
  test('fromPackage() reads the zips built into the package (dist/edge-artifacts)', () => {
    expect(EdgeRuntimeArtifacts.fromPackage().directory).toBe(defaultArtifactsDir());
  });

  test('fromDirectory() ships your own build: its zip and digest are what the recipe names', () => {
    const own = path.join(tmp(), 'own');
    fs.cpSync(defaultArtifactsDir(), own, { recursive: true });
    // a different runtime: other bytes, other digest, recorded in the manifest as the build writes it
    const manifestFile = path.join(own, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const zip = path.join(own, manifest.runtime['linux-arm64'].directory, manifest.runtime['linux-arm64'].fileName);
    fs.appendFileSync(zip, Buffer.alloc(16));
    manifest.runtime['linux-arm64'].sha256 = createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
    manifest.runtime['linux-arm64'].sizeBytes = fs.statSync(zip).size;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));

    const component = server(EdgeRuntimeArtifacts.fromDirectory(own));
    const recipe = recipes(component.node.scope as never).get('modelfleet.ModelServer')!;
    expect(recipe.Manifests[0].Artifacts![0].Digest).toBe(Buffer.from(manifest.runtime['linux-arm64'].sha256, 'hex').toString('base64'));
    const packaged = recipes(server().node.scope as never).get('modelfleet.ModelServer')!;
    expect(packaged.Manifests[0].Artifacts![0].Digest).not.toBe(recipe.Manifests[0].Artifacts![0].Digest);
  });

  test('fails, naming the folder and the fix, when the folder holds no build', () => {
    const empty = path.join(tmp(), 'empty');
    fs.mkdirSync(empty);
    let error: unknown;
    try {
      server(EdgeRuntimeArtifacts.fromDirectory(empty));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelFleetError);
    expect((error as ModelFleetError).message).toBe(`EdgeArtifactsUnavailable: the edge runtime artifacts are missing: `
      + `${path.join(empty, 'manifest.json')} does not exist (in the modelfleet repository run \`npm run build\`; for your `
      + 'own build pass its output folder to EdgeRuntimeArtifacts.fromDirectory(path)) (at Stack/ModelServer)');
  });

  test('fails when a zip the manifest lists has another size (a half-copied folder)', () => {
    const own = path.join(tmp(), 'half');
    fs.cpSync(defaultArtifactsDir(), own, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(own, 'manifest.json'), 'utf8'));
    fs.truncateSync(path.join(own, manifest.runtime['linux-x64'].directory, manifest.runtime['linux-x64'].fileName), 100);
    expect(() => server(EdgeRuntimeArtifacts.fromDirectory(own))).toThrow(/the linux-x64 runtime zip listed in .* is missing or has another size/);
  });
});
