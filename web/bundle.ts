// Builds the explorer page's script: web/app.ts and the library's browser
// entry (src/browser.ts) bundled into one ES module by esbuild, in memory,
// when `latent serve` starts (about a second), so a fresh clone needs no
// separate build step and nothing generated is committed.
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files of the library that import a Node.js module only for helpers the page
 * never calls (reading or writing files, PNG encoding); in the bundle those
 * imports become stubs that throw. Any other Node.js import fails the build,
 * so the native loader or a file-based data reader cannot slip in.
 */
const NODE_STUB_IMPORTERS = ['src/io/safetensors.ts', 'src/io/atomic.ts', 'src/io/png.ts'];
/** Node.js-only packages imported by those files. */
const NODE_ONLY_PACKAGES = ['pngjs'];

/** The project's root: web/ is next to src/ in a checkout; compiled, this file is in dist/web/. */
export function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [resolve(here, '..'), resolve(here, '../..')]) {
    if (existsSync(resolve(root, 'web/app.ts')) && existsSync(resolve(root, 'src/browser.ts'))) return root;
  }
  throw new Error(`the explorer page's sources (web/app.ts, src/browser.ts) are not next to ${here}; latent serve runs from a checkout of the project`);
}

/** The bundled page script and the source files that went into it (relative to the project root). */
export interface BrowserBundle {
  js: string;
  inputs: string[];
}

/**
 * Bundles web/app.ts for the browser. Throws when esbuild is missing or when
 * a module other than those in NODE_STUB_IMPORTERS imports Node.js.
 */
export async function buildBrowserBundle(o: { minify?: boolean } = {}): Promise<BrowserBundle> {
  const root = projectRoot();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new Error(`the explorer page is bundled with esbuild, which is not installed (run npm install): ${(e as Error).message}`);
  }
  const stubFilter = new RegExp(`^(node:.*|${NODE_ONLY_PACKAGES.join('|')}|fs|path|os|crypto|zlib|module|url)$`);
  const result = await esbuild.build({
    entryPoints: [resolve(root, 'web/app.ts')],
    absWorkingDir: root,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: o.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [{
      name: 'node-stubs',
      setup(build) {
        build.onResolve({ filter: stubFilter }, (args) => {
          const from = relative(root, args.importer).split('\\').join('/');
          if (!NODE_STUB_IMPORTERS.includes(from)) {
            return { errors: [{ text: `${from} imports the Node.js module '${args.path}', which cannot run in a browser (only ${NODE_STUB_IMPORTERS.join(', ')} may, for helpers the page does not call)` }] };
          }
          return { path: args.path, namespace: 'node-stub' };
        });
        // An empty CommonJS module: any named import resolves (to undefined), and only the file helpers the page never
        // calls would use one.
        build.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
      },
    }],
  }).catch((e: { errors?: { text: string }[] }) => {
    throw new Error(`bundling the explorer page failed: ${(e.errors ?? []).map((x) => x.text).join('; ') || String(e)}`);
  });
  const js = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node-stub:'));
  return { js, inputs };
}
