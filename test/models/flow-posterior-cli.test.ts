// `latent train vae --posterior planar|iaf` and `latent eval` on its model directory, with tiny settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const latent = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
const tiny = ['--epochs', '1', '--hidden', '32', '--latent', '4', '--batch', '200', '--eval-k', '20', '--no-progress'];
const root = mkdtempSync(join(tmpdir(), 'latent-flow-posterior-'));

test('latent train vae --posterior iaf writes the flow into config.json; latent eval rebuilds it', () => {
  const out = join(root, 'iaf');
  const r = latent('train', 'vae', ...tiny, '--posterior', 'iaf', '--posterior-layers', '2', '--posterior-hidden', '8', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.posterior, { flow: 'iaf', layers: 2, hidden: 8 });
  assert.ok(s.test_elbo <= s.test_iwae_5 && s.test_iwae_5 <= s.test_logpx + 1e-9, JSON.stringify(s));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).model.posterior, { flow: 'iaf', layers: 2, hidden: 8 });
  const ev = latent('eval', out, '--iw', '30', '--limit', '50', '--json');
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout);
  assert.ok(Number.isFinite(e.logpx) && e.elbo <= e.logpx, JSON.stringify(e));
});

test('flow-posterior options: bad combinations exit 1 with a message and write nothing', () => {
  for (const [args, message] of [
    [['--posterior-layers', '3'], /--posterior-layers and --posterior-hidden apply to a flow posterior/],
    [['--posterior', 'planar', '--posterior-hidden', '8'], /--posterior-hidden is the IAF layers' MADE width/],
    [['--posterior', 'planar', '--free-bits', '0.5'], /--free-bits needs the KL of each latent dimension/],
    [['--posterior', 'realnvp'], /--posterior.*realnvp/],
    [['--posterior', 'iaf', '--posterior-layers', '0'], /--posterior-layers/],
  ] as const) {
    const out = join(root, `bad-${args.join('')}`);
    const r = latent('train', 'vae', ...tiny, ...args, '--out', out);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out), `${out} was created`);
  }
});
