// The explorer page's entry: asks the server which model it serves and
// starts that view, a VAE's (web/vae-view.ts) or a flow's or CNF's
// (web/flow-view.ts). Everything that touches the model runs in the browser
// on the library's TypeScript kernels (src/browser.ts, bundled with these
// files by web/bundle.ts); the server only hands out the model's files.
import { startDensityView, DENSITY_VIEW_KINDS } from './flow-view.js';
import { fetchInfo, showStatus, status } from './shared.js';
import { startVaeView } from './vae-view.js';

export type { ExplorerStatus } from './shared.js';
export type { ExplorerHooks } from './vae-view.js';
export type { DensityHooks } from './flow-view.js';

const VAE_VIEW_KINDS = ['vae', 'iwae', 'cvae'];

async function main(): Promise<void> {
  const info = await fetchInfo();
  status.kind = info.config.kind;
  if (VAE_VIEW_KINDS.includes(info.config.kind)) await startVaeView(info);
  else if (DENSITY_VIEW_KINDS.includes(info.config.kind)) await startDensityView(info);
  else throw new Error(`this page shows VAEs (${VAE_VIEW_KINDS.join(', ')}), flows and CNFs (${DENSITY_VIEW_KINDS.join(', ')}); the model directory holds a '${info.config.kind}' model`);
}

main().catch((e: Error) => showStatus(`the page could not start: ${e.message}`, true));
