import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * The files of each source of a stack's (single) BucketDeployment, by key, as its upload function extracts them:
 * asset zips are read from their staged directories in the cloud assembly (ONNX files read as `<onnx>`).
 */
export function uploadSourceFiles(stack: Stack): Array<Record<string, string>> {
  const assembly = App.of(stack)!.synth();
  const [deployment] = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
  return (deployment.Properties.SourceObjectKeys as string[]).map((key) => {
    const dir = path.join(assembly.directory, manifest.files[key.replace(/\.zip$/, '')].source.path);
    const files: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(child);
        else files[child] = entry.name.endsWith('.onnx') ? '<onnx>' : fs.readFileSync(path.join(dir, child), 'utf8');
      }
    };
    walk('');
    return files;
  });
}
