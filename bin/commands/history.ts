/**
 * `modelfleet history record`: adds the model versions a cloud assembly deploys to the history file, which
 * `ModelFleet`'s `modelVersion` reads to roll back. Run it after a successful `cdk deploy` (a synth alone records
 * nothing: `cdk ls` and `cdk diff` deploy nothing).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assemblyHistoryEntries, recordVersion } from '../../constructs/fleet/private/history';

const USAGE = `usage: modelfleet history record [--assembly DIR] [--history FILE] [--model NAME]

Adds every model version that the cloud assembly deploys to the history file (run it after a successful cdk deploy,
then commit the file, as you commit cdk.context.json).

  --assembly DIR   the cloud assembly that was deployed (default: cdk.out)
  --history FILE   the history file (default: modelfleet.history.json; the ModelFleet historyFile prop)
  --model NAME     only this model (repeatable)

Exit status: 0 when done, 2 on a usage error.
`;

/** Where the command writes: injectable for tests. */
export interface HistoryIo {
  out(line: string): void;
  err(line: string): void;
}

const STD_IO: HistoryIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs `modelfleet history`; returns the exit status. */
export async function run(argv: string[], io: HistoryIo = STD_IO): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return sub ? 0 : 2;
  }
  if (sub !== 'record') {
    io.err(`modelfleet history: unknown sub-command '${sub}'; use 'modelfleet history record'`);
    return 2;
  }
  let assembly = 'cdk.out';
  let history = 'modelfleet.history.json';
  const models: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === '--assembly') assembly = value();
      else if (arg === '--history') history = value();
      else if (arg === '--model') models.push(value());
      else if (arg === '--help' || arg === '-h') {
        io.out(USAGE);
        return 0;
      } else throw new Error(`unknown option '${arg}'`);
    } catch (err) {
      io.err(`modelfleet history: ${(err as Error).message}; run 'modelfleet history --help'`);
      return 2;
    }
  }
  if (!fs.existsSync(path.join(assembly, 'manifest.json'))) {
    io.err(`modelfleet history: ${assembly} is not a cloud assembly (no manifest.json): run cdk synth or cdk deploy first, or pass --assembly`);
    return 2;
  }
  const entries = assemblyHistoryEntries(assembly).filter((e) => models.length === 0 || models.includes(e.model));
  if (entries.length === 0) {
    io.err(`modelfleet history: ${assembly} holds no modelfleet model version${models.length ? ` of ${models.join(', ')}` : ''}`);
    return 2;
  }
  const file = path.resolve(history);
  for (const e of entries) {
    const changed = recordVersion(file, e.model, e.version, e);
    io.out(`  ${changed ? 'recorded' : 'already recorded'}  ${e.model} ${e.version}`);
  }
  io.out(`modelfleet history: ${file} holds every version of ${assembly}`);
  return 0;
}
