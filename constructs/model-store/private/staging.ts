import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A directory holding `model.onnx` and `contract.json`, ready to be an asset. */
export interface StagedModel {
  /** The staged directory. */
  readonly directory: string;
  /** Its `contract.json`. */
  readonly contractPath: string;
  /** Content hash of the directory (model bytes + contract), usable as a custom asset hash. */
  readonly hash: string;
}

/**
 * Stages a copy of the model as `model.onnx` and `contract.json` into a directory named by their
 * content, under the system temp directory. Same content, same directory: a second synth reuses it, and the asset
 * hash does not need the model to be read again. Written to a temporary name and renamed, so parallel synths do not
 * see half-written directories.
 *
 * @param modelPath the model file (its sha256 is inside `contractJson`); undefined to stage `contract.json` alone
 * @param contractJson the `contract.json` text
 */
export function stageModelDirectory(modelPath: string | undefined, contractJson: string): StagedModel {
  const hash = createHash('sha256').update(modelPath ? 'modelfleet-staged-model-v1\0' : 'modelfleet-staged-contract-v1\0')
    .update(contractJson).digest('hex');
  const root = path.join(os.tmpdir(), 'modelfleet-staging');
  const directory = path.join(root, hash);
  const contractPath = path.join(directory, 'contract.json');
  const modelTarget = path.join(directory, 'model.onnx');

  if (isComplete(directory, contractJson, modelPath)) return { directory, contractPath, hash };

  fs.mkdirSync(root, { recursive: true });
  const tmp = path.join(root, `.${hash}.${process.pid}.${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp);
  try {
    // A copy (a reflink where the file system can), not a hard link: rewriting the source in place later must not
    // change what this directory, named by the old content, holds.
    if (modelPath) fs.copyFileSync(modelPath, path.join(tmp, 'model.onnx'), fs.constants.COPYFILE_FICLONE);
    fs.writeFileSync(path.join(tmp, 'contract.json'), contractJson);
    fs.rmSync(directory, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, directory);
    } catch (err) {
      // Another process staged the same content first: use theirs.
      if (!isComplete(directory, contractJson, modelPath)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (modelPath && !fs.existsSync(modelTarget)) throw new Error(`internal: staging ${modelPath} into ${directory} failed`);
  return { directory, contractPath, hash };
}

function isComplete(directory: string, contractJson: string, modelPath: string | undefined): boolean {
  try {
    const sameModel = modelPath
      ? fs.statSync(path.join(directory, 'model.onnx')).size === fs.statSync(modelPath).size
      : !fs.existsSync(path.join(directory, 'model.onnx'));
    return sameModel
      && fs.readFileSync(path.join(directory, 'contract.json'), 'utf8') === contractJson;
  } catch {
    return false;
  }
}
