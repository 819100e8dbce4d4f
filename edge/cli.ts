#!/usr/bin/env node
/** `modelfleet-edge serve --model <file.onnx> [flags]`: see `modelfleet-edge --help` and docs/readme/runtime.md. */
import { main } from './main';

void main(process.argv.slice(2), process.env);
