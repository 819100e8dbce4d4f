/**
 * `npm run train:iris [-- <out.onnx>]`: trains the embedded iris classifier and writes it to `models/iris.onnx`
 * (or the given path). Deterministic: running it twice writes the same bytes. See models/README.md.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { irisAccuracy, irisToOnnx, trainIris } from './iris-model';

/** Writes the model and returns the process exit code. */
export function main(argv: string[]): number {
  const out = path.resolve(argv[0] ?? path.join('models', 'iris.onnx'));
  const model = trainIris();
  const bytes = irisToOnnx(model);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  process.stdout.write(
    `wrote ${out}: ${bytes.length} bytes, sha256 ${sha256}, training accuracy ${irisAccuracy(model).toFixed(4)}\n`,
  );
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
