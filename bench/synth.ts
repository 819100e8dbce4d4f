/**
 * `npm run bench:synth`: how synth time grows with the number of models.
 *
 * Synthesizes apps of 1, 10 and 50 `ModelFleet`s (distinct small ONNX classifiers generated into a temp dir), each
 * in a fresh process (so loading aws-cdk-lib and onnxruntime counts) with a fresh cloud assembly, and prints the times
 * per phase. Target: 50 models in at most 5x the time of 1 model.
 *
 * Options: `--sizes 1,10,50`, `--runs N` (median of N runs per size, default 1), `--no-edge`, `--no-sagemaker`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tinyOnnxModel } from './synth/tiny-model';

interface Timing {
  readonly models: number;
  readonly loadMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly totalMs: number;
  readonly wallMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function runOnce(count: number, modelDir: string, flags: string[]): Timing {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-out-'));
  try {
    const start = performance.now();
    const stdout = execFileSync(process.execPath, [path.join(__dirname, 'synth', 'app.js'), String(count), modelDir, outdir, ...flags], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024,
    });
    const wallMs = Math.round(performance.now() - start);
    const line = stdout.trim().split('\n').pop() ?? '{}';
    return { ...(JSON.parse(line) as Omit<Timing, 'wallMs'>), wallMs };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (option('--sizes') ?? '1,10,50').split(',').map(Number);
  const runs = Number(option('--runs') ?? '1');
  const flags = argv.filter((a) => a === '--no-edge' || a === '--no-sagemaker');
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-models-'));
  try {
    const most = Math.max(...sizes);
    for (let i = 0; i < most; i++) {
      fs.writeFileSync(path.join(modelDir, `model-${i}.onnx`), tinyOnnxModel({ seed: i + 1 }));
    }
    // A warm-up run, not measured: fills the OS file cache and the runtime artifacts' build cache.
    runOnce(1, modelDir, flags);
    const results: Timing[] = [];
    for (const size of sizes) {
      const samples = Array.from({ length: runs }, () => runOnce(size, modelDir, flags));
      const pick = (k: keyof Timing) => median(samples.map((s) => s[k]));
      results.push({
        models: size, loadMs: pick('loadMs'), constructMs: pick('constructMs'), synthMs: pick('synthMs'),
        totalMs: pick('totalMs'), wallMs: pick('wallMs'),
      });
    }
    const base = results[0].wallMs;
    console.log(`synth benchmark (${os.cpus().length} cores, node ${process.version}${flags.length ? `, ${flags.join(' ')}` : ''}, `
      + `median of ${runs} run(s) per size)`);
    console.log('| models | load (ms) | construct (ms) | synth (ms) | process wall (ms) | per model (ms) | vs 1 model |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(`| ${r.models} | ${r.loadMs} | ${r.constructMs} | ${r.synthMs} | ${r.wallMs} | `
        + `${Math.round((r.constructMs + r.synthMs) / r.models)} | ${(r.wallMs / base).toFixed(2)}x |`);
    }
    const last = results[results.length - 1];
    const ratio = last.wallMs / base;
    const ok = ratio <= 5;
    console.log(`${last.models} models take ${ratio.toFixed(2)}x the time of ${results[0].models}: `
      + `${ok ? 'within' : 'OVER'} the 5x target`);
    return ok ? 0 : 1;
  } finally {
    fs.rmSync(modelDir, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
