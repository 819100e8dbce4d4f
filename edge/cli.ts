#!/usr/bin/env node
/** `modelfleet-edge serve --model <file.onnx> [flags]`: see `modelfleet-edge --help` and the README section "The edge runtime". */
import * as nodeModule from 'node:module';

// Node ≥ 22.1 caches compiled code of the modules loaded below across process starts (cold start); absent before.
const compileCache = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
if (typeof compileCache === 'function' && process.env.NODE_DISABLE_COMPILE_CACHE === undefined) {
  try {
    compileCache();
  } catch {
    // a read-only or missing cache directory only costs the cache
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./main') as typeof import('./main');

void main(process.argv.slice(2), process.env);
