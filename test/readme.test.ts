// The README's "API in ten lines" runs as written (imports pointed at the source tree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('README API example runs and fits its toy regression', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ts code block');
  const dir = mkdtempSync(join(tmpdir(), 'latent-readme-'));
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const code = block[1]
    .replace(/from 'latent'/, `from ${JSON.stringify(src)}`)
    .replace(/'net\.safetensors'/, JSON.stringify(join(dir, 'net.safetensors')))
    + "\nconsole.log(JSON.stringify({ loss: mean(square(sub(net.forward(x), y))).item() }));\n";
  const file = join(dir, 'example.ts');
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { loss } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  // y = tanh(sum x) has variance ~0.6; 200 Adam steps of a 3-32-1 tanh MLP fit it to well under 1% of that.
  assert.ok(loss < 5e-3, `loss ${loss}`);
});
