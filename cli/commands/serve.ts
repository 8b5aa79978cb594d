import { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as L from '../../src/index.js';
import { buildBrowserBundle } from '../../web/bundle.js';
import { createExplorerServer, isLoopback, LOOPBACK_HOSTS } from '../../web/server.js';
import { UserError } from '../errors.js';
import { nonNegInt, positiveInt } from '../options.js';
import { say } from '../progress.js';
import { firstExamples, heldOutData, openVae } from '../vae-dir.js';
import type { ExplorerTestSet } from '../../web/server.js';

/** Model kinds the explorer page shows: the VAEs (latent map, inpainting) and the density models (flow, CNF). */
export const VAE_KINDS = ['vae', 'iwae', 'cvae'];
export const DENSITY_KINDS = [L.FLOW_KIND, L.CNF_KIND];

interface ServeOptions { port: number; host: string; data?: string; limit: number; quiet?: boolean }

/** A running explorer: its URL and how to stop it. */
export interface RunningExplorer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The held-out images of the VAE in `dir` that the page encodes (the first `limit`). */
function vaeTestSet(dir: string, o: ServeOptions): ExplorerTestSet {
  const m = openVae(dir);
  const { data, spec } = heldOutData(m, o.data);
  const part = firstExamples(data, o.limit);
  const values = L.flattenImages(part).data;
  const pixels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
  return { spec, shape: m.vae.config.inputShape, pixels, labels: part.labels, numClasses: part.numClasses };
}

/** The kind of model in `dir`, refusing kinds the page cannot show; a flow or CNF is loaded once here, so a broken one fails now. */
function servedKind(dir: string, o: ServeOptions): string {
  if (!existsSync(dir)) throw new UserError(`${dir} does not exist; pass a model directory written by latent train`);
  let kind: string;
  try {
    kind = L.readModelConfig(dir).kind;
    if (kind === L.FLOW_KIND) L.loadFlowDir(dir);
    else if (kind === L.CNF_KIND) L.loadCnfDir(dir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (!VAE_KINDS.includes(kind) && !DENSITY_KINDS.includes(kind)) {
    throw new UserError(`${dir} holds a '${kind}' model; latent serve shows VAEs (${VAE_KINDS.join(', ')}), normalizing flows (${L.FLOW_KIND}) and continuous normalizing flows (${L.CNF_KIND})`);
  }
  if (DENSITY_KINDS.includes(kind) && o.data) throw new UserError(`--data applies to VAEs; the page of the ${kind} model in ${dir} draws its own points`);
  return kind;
}

/**
 * Starts the explorer page for the model in `dir` (a VAE, a flow or a CNF):
 * checks the model directory, loads a VAE's held-out images, bundles the
 * page and listens on host:port (port 0: a free one). Errors a user can fix
 * are UserErrors.
 */
export async function startExplorer(dir: string, o: ServeOptions): Promise<RunningExplorer> {
  const kind = servedKind(dir, o);
  const testSet = VAE_KINDS.includes(kind) ? vaeTestSet(dir, o) : null;
  let bundle;
  try {
    bundle = await buildBrowserBundle();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const server = createExplorerServer({
    dir,
    testSet,
    bundle,
    // On the loopback interface, only loopback names: a web page elsewhere cannot reach the server by DNS rebinding.
    allowedHosts: isLoopback(o.host) ? LOOPBACK_HOSTS : null,
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new UserError(`--port ${o.port}: the port is in use on ${o.host}; pick another or pass --port 0 for a free one`)
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? new UserError(`--host ${o.host}: not an address of this machine`) : e);
    });
    server.listen(o.port, o.host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

/** `latent serve DIR`: the explorer page on 127.0.0.1. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the explorer page for a model directory, computed in the browser: for a VAE, samples, the latent map of the held-out set, interpolation, inpainting of drawn pixels; for a 2-D flow or CNF, its density, the target\'s and samples; for an image flow, samples at a temperature; and the training curves')
    .argument('<dir>', 'a model directory written by latent train (vae, iwae, cvae, flow or cnf); it may still be training')
    .option('--port <p>', 'port to listen on (0: a free one)', nonNegInt('--port'), 8080)
    .option('--host <address>', 'address to bind; anything other than the loopback interface exposes the model to the network', '127.0.0.1')
    .option('--data <spec>', "VAEs: held-out images to show (default: the training run's held-out split, binarized as in training)")
    .option('--limit <n>', 'VAEs: held-out images on the latent map', positiveInt('--limit'), 1000)
    .addHelpText('after', '\nExamples:\n  latent serve runs/vae\n  latent serve runs/vae --port 0 --limit 2000')
    .action(async (dir: string, o: ServeOptions) => {
      if (o.port > 65535) throw new UserError(`--port must be at most 65535, got ${o.port}`);
      if (!isLoopback(o.host)) {
        process.stderr.write(`latent: warning: --host ${o.host} serves the model and its files to every machine that can reach this address\n`);
      }
      const running = await startExplorer(dir, o);
      // The URL on stdout (scripts read it, e.g. with --port 0); the rest of the chatter on stderr.
      process.stdout.write(`${running.url}\n`);
      say(false, `explorer for ${dir} at ${running.url} (Ctrl-C to stop)`);
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
