/**
 * Reads what a core device would receive from a synthesized cloud assembly, with no AWS: the component recipes
 * (`AWS::GreengrassV2::ComponentVersion` inline recipes, intrinsics resolved) and an emulated S3 built from the
 * `Custom::CDKBucketDeployment` resources and the staged assets they upload.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { readZip } from '../../constructs/serving-image/private/unzip';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface TemplateResource { Type: string; Properties?: { [key: string]: Json } }
interface Template { Resources: { [logicalId: string]: TemplateResource } }

/** A bucket's name on the emulated device side: its logical id, so URIs and uploads agree. */
export function emulatedBucketName(logicalId: string): string {
  return `bucket-${logicalId.toLowerCase()}`;
}

/** Resolves the intrinsics a recipe or an upload uses: `Ref` to a bucket, `Fn::Join`, `Fn::Select`, pseudo parameters. */
export function resolveIntrinsics(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys;
    const arg = value[key];
    if (key === 'Ref') {
      const ref = arg as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return 'eu-west-1';
      if (ref === 'AWS::AccountId') return '111111111111';
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return emulatedBucketName(ref);
    }
    if (key === 'Fn::Join') {
      const [sep, parts] = arg as [string, Json[]];
      return parts.map((p) => String(resolveIntrinsics(p))).join(sep);
    }
    if (key === 'Fn::Select') {
      const [index, list] = arg as [number, Json];
      return (resolveIntrinsics(list) as Json[])[index];
    }
    if (key === 'Fn::Split') {
      const [sep, source] = arg as [string, Json];
      return String(resolveIntrinsics(source)).split(sep);
    }
    if (key === 'Fn::Sub' && typeof arg === 'string') {
      return arg.replace(/\$\{([^}]+)\}/g, (_m, name: string) => String(resolveIntrinsics({ Ref: name })));
    }
    if (key.startsWith('Fn::')) throw new Error(`cannot resolve ${key} in ${JSON.stringify(value)}`);
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(value[k])]));
}

/** A component version as published: its recipe (parsed JSON). */
export interface PublishedComponent {
  readonly name: string;
  readonly version: string;
  readonly recipe: Recipe;
}

export interface RecipeArtifact {
  readonly Uri: string;
  readonly Digest?: string;
  readonly Algorithm?: string;
  readonly Unarchive?: string;
  readonly Permission?: { readonly Read?: string; readonly Execute?: string };
}

export interface RecipeManifest {
  readonly Platform: { readonly [key: string]: string };
  readonly Lifecycle?: { readonly [step: string]: { readonly Script: string; readonly Timeout?: number } | string };
  readonly Artifacts?: readonly RecipeArtifact[];
}

export interface Recipe {
  readonly RecipeFormatVersion: string;
  readonly ComponentName: string;
  readonly ComponentVersion: string;
  readonly ComponentDependencies?: { readonly [name: string]: { readonly VersionRequirement: string; readonly DependencyType?: string } };
  readonly ComponentConfiguration?: { readonly DefaultConfiguration?: { readonly [key: string]: Json } };
  readonly Manifests: readonly RecipeManifest[];
}

/** What a synthesized stack offers a device: recipes by `name@version`, and objects by `s3://bucket/key`. */
export class PublishedStack {
  /** Reads the stack `stackName` from the cloud assembly folder `outdir`. */
  public static read(outdir: string, stackName: string): PublishedStack {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as Template;
    const assets = JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.assets.json`), 'utf8')) as {
      files?: { [id: string]: { source: { path?: string; packaging?: string; executable?: string[] }; destinations: { [d: string]: { objectKey: string } } } };
    };
    const byObjectKey = new Map<string, { path: string; packaging: string } | { executable: string[] }>();
    for (const file of Object.values(assets.files ?? {})) {
      for (const dest of Object.values(file.destinations)) {
        if (file.source.executable) byObjectKey.set(dest.objectKey, { executable: file.source.executable });
        else if (file.source.path) {
          byObjectKey.set(dest.objectKey, { path: path.join(outdir, file.source.path), packaging: file.source.packaging ?? 'file' });
        }
      }
    }
    const components: PublishedComponent[] = [];
    const objects = new Map<string, string>();
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::GreengrassV2::ComponentVersion') {
        const text = resolveIntrinsics(resource.Properties?.InlineRecipe ?? null);
        if (typeof text !== 'string') throw new Error(`${logicalId}: InlineRecipe is not a string`);
        const recipe = JSON.parse(text) as Recipe;
        components.push({ name: recipe.ComponentName, version: recipe.ComponentVersion, recipe });
      }
      if (resource.Type === 'Custom::CDKBucketDeployment') {
        const props = resource.Properties ?? {};
        const bucket = resolveIntrinsics(props.DestinationBucketName) as string;
        const prefix = (resolveIntrinsics(props.DestinationBucketKeyPrefix ?? '') as string) ?? '';
        const keys = resolveIntrinsics(props.SourceObjectKeys) as string[];
        for (const key of keys) {
          const found = byObjectKey.get(key);
          if (!found) throw new Error(`${logicalId}: no staged asset for source object ${key}`);
          if ('executable' in found) {
            // a deploy-time asset: run its command as cdk-assets does (argv, no shell, the caller's cwd), upload the
            // zip it names; the BucketDeployment then unzips it into the prefix
            const [command, ...args] = found.executable;
            const res = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
            if (res.status !== 0) throw new Error(`${logicalId}: the asset command for ${key} failed (${res.status}): ${res.stderr}`);
            const zip = res.stdout.trim();
            const dir = path.join(outdir, '.deploy-time-assets', key);
            for (const entry of readZip(fs.readFileSync(zip), zip)) {
              const target = path.join(dir, ...entry.name.split('/'));
              fs.mkdirSync(path.dirname(target), { recursive: true });
              fs.writeFileSync(target, entry.data);
              objects.set(`s3://${bucket}/${prefix}${entry.name}`, target);
            }
            continue;
          }
          const asset = found;
          if (asset.packaging !== 'zip' || !fs.statSync(asset.path).isDirectory()) {
            throw new Error(`${logicalId}: expected a staged directory for ${key}, got ${asset.packaging} ${asset.path}`);
          }
          for (const file of listFiles(asset.path)) {
            const rel = path.relative(asset.path, file).split(path.sep).join('/');
            objects.set(`s3://${bucket}/${prefix}${rel}`, file);
          }
        }
      }
    }
    return new PublishedStack(components, objects);
  }

  private constructor(
    /** Every component version in the template. */
    public readonly components: readonly PublishedComponent[],
    /** Emulated S3: `s3://bucket/key` to the staged file. */
    public readonly objects: ReadonlyMap<string, string>,
  ) {}

  /** The one published version of a component (fails if there are none or several). */
  public component(name: string): PublishedComponent {
    const found = this.components.filter((c) => c.name === name);
    if (found.length !== 1) throw new Error(`expected one published version of ${name}, found ${found.length}`);
    return found[0];
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}
