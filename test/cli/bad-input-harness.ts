// Runs `latent ...argv` in the test's own process: the commands of
// cli/main.ts with commander's exits turned into exceptions, stdout and
// stderr captured, and errors mapped to exit codes exactly as cli/main.ts
// maps them (commander's own codes; UserError -> 1 with its message;
// anything else -> 2 with the stack). bad-input.test.ts checks a sample of
// cases against cli/main.ts in a child process.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { encodeCommand } from '../../cli/commands/encode.js';
import { evalCommand } from '../../cli/commands/eval.js';
import { infoCommand } from '../../cli/commands/info.js';
import { inpaintCommand } from '../../cli/commands/inpaint.js';
import { interpolateCommand } from '../../cli/commands/interpolate.js';
import { reconstructCommand } from '../../cli/commands/reconstruct.js';
import { sampleCommand } from '../../cli/commands/sample.js';
import { trainCommand } from '../../cli/commands/train.js';
import { UserError } from '../../cli/errors.js';

export interface RunResult { code: number; stdout: string; stderr: string }

export async function latentInProcess(argv: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const output = { writeOut: (s: string) => { stdout += s; }, writeErr: (s: string) => { stderr += s; } };
  const program = new Command().name('latent').showHelpAfterError().exitOverride().configureOutput(output);
  for (const cmd of [trainCommand(), evalCommand(), sampleCommand(), reconstructCommand(), interpolateCommand(), inpaintCommand(), encodeCommand(), infoCommand()]) {
    // cli/main.ts leaves commander to exit with code 1 on a subcommand's parse error; here it throws instead.
    program.addCommand(cmd.exitOverride().configureOutput(output));
  }
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  let code = 0;
  try {
    await program.parseAsync(['node', 'latent', ...argv]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 1;
    else if (e instanceof UserError) {
      stderr += `latent: ${e.message}\n`;
      code = 1;
    } else {
      stderr += `latent: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`;
      code = 2;
    }
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return { code, stdout, stderr };
}

/** A fingerprint of a file or folder (names and contents, recursively), or 'absent'. */
export function snapshot(path: string): string {
  if (!existsSync(path)) return 'absent';
  const h = createHash('sha256');
  const walk = (p: string, name: string) => {
    if (statSync(p).isDirectory()) {
      h.update(`dir ${name}\n`);
      for (const e of readdirSync(p).sort()) walk(join(p, e), `${name}/${e}`);
    } else {
      h.update(`file ${name}\n`);
      h.update(readFileSync(p));
    }
  };
  walk(path, '.');
  return h.digest('hex');
}
