import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The iris classifier in the repo (`models/iris.onnx`): input `features` FP32 [-1, 4]. */
export const IRIS_MODEL = path.resolve(__dirname, '..', '..', 'models', 'iris.onnx');

/** A new empty folder under the OS temp folder, named `<prefix>XXXXXX`. */
export function makeTmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes a folder made by `makeTmpDir` with everything in it. */
export function removeTmpDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn` with a new temp folder and removes the folder afterwards, whether `fn` throws or not. */
export function withTmpDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = makeTmpDir(prefix);
  try {
    return fn(dir);
  } finally {
    removeTmpDir(dir);
  }
}

/**
 * One temp folder for the test file: made in `beforeAll`, removed in `afterAll`. Call at the top level of the file;
 * the returned function gives the folder's path inside tests.
 */
export function useTmpDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => { dir = makeTmpDir(prefix); });
  afterAll(() => { if (dir) removeTmpDir(dir); });
  return () => {
    if (!dir) throw new Error('useTmpDir: the folder exists only while the tests of the file run');
    return dir;
  };
}

/** Copies a model file (the iris model by default) to `<dir>/<name>` and returns the new path. */
export function copyModel(dir: string, name = 'model.onnx', source = IRIS_MODEL): string {
  const file = path.join(dir, name);
  fs.copyFileSync(source, file);
  return file;
}
