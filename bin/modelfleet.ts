#!/usr/bin/env node
/**
 * The `modelfleet` command: operational helpers around a synthesized or deployed modelfleet app.
 * Sub-commands live in `bin/commands/<name>.ts` and export `run(argv: string[]): Promise<number>`.
 */
const COMMANDS: Record<string, string> = {
  fleet: './commands/fleet',
  history: './commands/history',
  'pi-bootstrap': './commands/pi-bootstrap',
  verify: './commands/verify',
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || !(name in COMMANDS)) {
    const known = Object.keys(COMMANDS).join(', ');
    process.stderr.write(name && !(name in COMMANDS) && name !== '--help' && name !== '-h'
      ? `modelfleet: unknown command '${name}'. Use one of: ${known}.\n`
      : `usage: modelfleet <command> [options]\ncommands: ${known}\n`);
    return name === '--help' || name === '-h' ? 0 : 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const command = require(COMMANDS[name]) as { run(args: string[]): Promise<number> };
  return command.run(rest);
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`modelfleet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
