#!/usr/bin/env node
// The `latent` command. Each command is one file in cli/commands/ and calls
// only the public API (src/index.ts).
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { benchCommand } from './commands/bench.js';
import { encodeCommand } from './commands/encode.js';
import { evalCommand } from './commands/eval.js';
import { infoCommand } from './commands/info.js';
import { inpaintCommand } from './commands/inpaint.js';
import { interpolateCommand } from './commands/interpolate.js';
import { reconstructCommand } from './commands/reconstruct.js';
import { sampleCommand } from './commands/sample.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { UserError } from './errors.js';

// cli/main.ts runs from the source tree (tsx) or compiled in dist/cli/.
const pkgUrl = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)].find((u) => existsSync(u))!;
const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as { version: string };

const program = new Command()
  .name('latent')
  .description('Latent-variable generative models in TypeScript: tensors with autodiff, VAEs, mixtures, flows.')
  .version(pkg.version)
  .showHelpAfterError()
  .exitOverride();

program.addCommand(trainCommand());
program.addCommand(evalCommand());
program.addCommand(sampleCommand());
program.addCommand(reconstructCommand());
program.addCommand(interpolateCommand());
program.addCommand(inpaintCommand());
program.addCommand(encodeCommand());
program.addCommand(infoCommand());
program.addCommand(benchCommand());
program.addCommand(serveCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; parse errors are the user's (1).
    process.exit(err.exitCode === 0 ? 0 : 1);
  }
  if (err instanceof UserError) {
    process.stderr.write(`latent: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`latent: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
}
