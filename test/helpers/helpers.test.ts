import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { ModelSource } from '../../constructs/model';
import { ModelFleetError } from '../../constructs/core/private/modelfleet-error';
import { errorCodeOf } from './construct-errors';
import { freePort } from './free-port';
import { stopChild, waitForHttp200 } from './spawn-runtime';
import { testStack } from './test-stack';
import { copyModel, IRIS_MODEL, useTmpDir, withTmpDir } from './tmp-model';

const tmp = useTmpDir('helpers-');

test('binds the iris model and rejects a missing file (the README example)', () => {
  const stack = testStack();
  expect(ModelSource.fromAsset(copyModel(tmp())).bind(stack).localPath).toBe(path.join(tmp(), 'model.onnx'));
  expect(errorCodeOf(() => ModelSource.fromAsset(`${tmp()}/missing.onnx`).bind(stack))).toBe('ModelFileNotFound');
  expect(fs.readFileSync(path.join(tmp(), 'model.onnx'))).toEqual(fs.readFileSync(IRIS_MODEL));
});

test('errorCodeOf tells a ModelFleetError code, no error and another error apart', () => {
  const stack = new Stack();
  expect(errorCodeOf(() => { throw new ModelFleetError('ModelFileNotFound', 'message', stack); })).toBe('ModelFileNotFound');
  expect(errorCodeOf(() => 1)).toBeUndefined();
  expect(errorCodeOf(() => { throw new Error('boom'); })).toBe('not a ModelFleetError: Error: boom');
});

test('withTmpDir removes its folder even when the callback throws', () => {
  let kept = '';
  expect(() => withTmpDir('helpers-throw-', (dir) => {
    kept = dir;
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    throw new Error('inside');
  })).toThrow('inside');
  expect(kept).not.toBe('');
  expect(fs.existsSync(kept)).toBe(false);
});

test('freePort gives a port a server can listen on', async () => {
  const port = await freePort();
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  expect((server.address() as net.AddressInfo).port).toBe(port);
  await new Promise((resolve) => server.close(resolve));
});

test('waitForHttp200 fails as soon as the server exits; stopChild ends a running one', async () => {
  const crashed = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
  await new Promise((resolve) => crashed.once('exit', resolve));
  await expect(waitForHttp200('http://127.0.0.1:1/', crashed)).rejects.toThrow(/the runtime exited \(3\)/);

  const port = await freePort();
  const server = spawn(process.execPath, ['-e',
    `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
  expect((await waitForHttp200(`http://127.0.0.1:${port}/`, server)).status).toBe(200);
  await stopChild(server);
  expect(server.signalCode).toBe('SIGTERM');
});
