import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, nativeStatus, readSafetensorsHeader } from '../../src/index.js';
import { UserError } from '../errors.js';

/** `latent info <DIR | file.safetensors>`: tensors in a file, and the active backend. */
export function infoCommand(): Command {
  return new Command('info')
    .description('describe a model directory or a safetensors file (tensor names, shapes, dtypes) and the active backend')
    .argument('[path]', 'a model directory or a .safetensors file')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', '\nExample:\n  latent info runs/vae-2026-11-21/model.safetensors\n  latent info            # just the backend')
    .action((path: string | undefined, opts: { json?: boolean }) => {
      const backend = getBackend();
      const native = nativeStatus();
      const nativeLine = native.loaded ? `native kernels: loaded (${native.isa})` : `native kernels: not loaded (${native.reason ?? 'unknown'})`;
      if (!path) {
        if (opts.json) process.stdout.write(JSON.stringify({ backend, native }) + '\n');
        else process.stdout.write(`backend: ${backend}\n${nativeLine}\n`);
        return;
      }
      if (!existsSync(path)) throw new UserError(`info: ${path} does not exist`);
      const file = statSync(path).isDirectory() ? join(path, 'model.safetensors') : path;
      if (!existsSync(file)) throw new UserError(`info: ${path} is a directory without model.safetensors`);
      let header;
      try {
        header = readSafetensorsHeader(file);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ backend, file, ...header }) + '\n');
        return;
      }
      const lines = [`backend: ${backend}`, `file: ${file}`];
      let total = 0;
      for (const t of header.tensors) {
        const n = t.shape.reduce((a: number, b: number) => a * b, 1);
        total += n;
        lines.push(`  ${t.name}  ${t.dtype}  [${t.shape.join(', ')}]`);
      }
      lines.push(`${header.tensors.length} tensors, ${total} values`);
      for (const [k, v] of Object.entries(header.metadata)) lines.push(`  metadata ${k}: ${v}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
