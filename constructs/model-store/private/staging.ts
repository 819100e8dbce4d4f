import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A directory holding `<layout>model.onnx` and `<layout>contract.json`, ready to be an asset. */
export interface StagedModel {
  /** The staged directory (the asset root). */
  readonly directory: string;
  /** Its `contract.json`. */
  readonly contractPath: string;
  /** Content hash of the directory (model bytes + contract), usable as a custom asset hash. */
  readonly hash: string;
}

/**
 * Stages a copy of the model as `<layout>model.onnx` and `<layout>contract.json` (`layout` is the store prefix,
 * `models/<name>/<version>/`, so that one upload without a key prefix can carry every model of a store) into a
 * directory named by their content, under the system temp directory. Same content, same directory: a second synth reuses it, and the asset
 * hash does not need the model to be read again. Written to a temporary name and renamed, so parallel synths do not
 * see half-written directories.
 *
 * @param modelPath the model file (its sha256 is inside `contractJson`); undefined to stage `contract.json` alone
 * @param contractJson the `contract.json` text
 * @param layout relative folder of the files inside the staged directory, e.g. `models/iris/3f2a9c1b7d4e/`
 */
export function stageModelDirectory(modelPath: string | undefined, contractJson: string, layout: string): StagedModel {
  if (!/^([A-Za-z0-9._-]+\/)+$/.test(layout) || layout.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`internal: staging layout '${layout}' must be relative folder names ending with '/'`);
  }
  const hash = createHash('sha256').update(modelPath ? 'modelfleet-staged-model-v2\0' : 'modelfleet-staged-contract-v2\0')
    .update(layout).update('\0').update(contractJson).digest('hex');
  const root = path.join(os.tmpdir(), 'modelfleet-staging');
  const directory = path.join(root, hash);
  const contractPath = path.join(directory, layout, 'contract.json');
  const modelTarget = path.join(directory, layout, 'model.onnx');

  if (isComplete(directory, layout, contractJson, modelPath)) return { directory, contractPath, hash };

  fs.mkdirSync(root, { recursive: true });
  const tmp = path.join(root, `.${hash}.${process.pid}.${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp);
  try {
    // A copy (a reflink where the file system can), not a hard link: rewriting the source in place later must not
    // change what this directory, named by the old content, holds.
    const folder = path.join(tmp, layout);
    fs.mkdirSync(folder, { recursive: true });
    if (modelPath) fs.copyFileSync(modelPath, path.join(folder, 'model.onnx'), fs.constants.COPYFILE_FICLONE);
    fs.writeFileSync(path.join(folder, 'contract.json'), contractJson);
    fs.rmSync(directory, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, directory);
    } catch (err) {
      // Another process staged the same content first: use theirs.
      if (!isComplete(directory, layout, contractJson, modelPath)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (modelPath && !fs.existsSync(modelTarget)) throw new Error(`internal: staging ${modelPath} into ${directory} failed`);
  return { directory, contractPath, hash };
}

function isComplete(directory: string, layout: string, contractJson: string, modelPath: string | undefined): boolean {
  try {
    const folder = path.join(directory, layout);
    const sameModel = modelPath
      ? fs.statSync(path.join(folder, 'model.onnx')).size === fs.statSync(modelPath).size
      : !fs.existsSync(path.join(folder, 'model.onnx'));
    return sameModel
      && fs.readFileSync(path.join(folder, 'contract.json'), 'utf8') === contractJson;
  } catch {
    return false;
  }
}
