// The loader of the native kernels (native/, a Node-API addon built by
// scripts/build-native.mjs during `npm install`). When the addon is there it
// registers each of its kernels under the name of the TypeScript kernel it
// replaces and makes 'native' the active backend; when it is not, the
// TypeScript kernels stay active and one warning says so.
//
//   LATENT_BACKEND=js       TypeScript kernels, no warning
//   LATENT_BACKEND=native   native kernels, or an error at import if they are not built
//   (unset)                 native when built, else TypeScript
//   LATENT_MALLOC=system    keep glibc malloc's default thresholds (see NativeStatus.allocator)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import './cpu/index.js';
import { kernelFor, registerKernel, setBackend, type KernelName, type Kernels } from './registry.js';

/** What `latent info` reports about the native kernels. */
export interface NativeStatus {
  /** True when the addon loaded and its kernels are registered as backend 'native'. */
  loaded: boolean;
  /** Why it did not load (not built, failed to load), when it did not. */
  reason?: string;
  /** The instruction set GEMM uses: AVX-512, AVX2 + FMA, or portable C++ ('scalar'); 'scalar' when not loaded. */
  isa: 'avx512' | 'avx2' | 'scalar';
  /** GEMM worker threads (LATENT_THREADS, default 1). */
  threads: number;
  /** Where the addon was loaded from. */
  path?: string;
  /**
   * 'tuned' when loading the addon raised glibc malloc's trim and mmap
   * thresholds (memory that the garbage collector frees stays for the next
   * step's tensors instead of being faulted in again; LATENT_MALLOC=system
   * keeps glibc's defaults), else 'system'.
   */
  allocator: 'tuned' | 'system';
}

/** The addon's exports: the kernels plus a few controls. */
interface Addon extends Kernels {
  /** The instruction set in use; with an argument, lowers it (tests run every code path this way). */
  isa(lower?: 'avx512' | 'avx2' | 'scalar'): NativeStatus['isa'];
  detectedIsa(): NativeStatus['isa'];
  threads(): number;
  allocator?(): 'tuned' | 'system';
  /** The TypeScript kernels to call when arrays mix float32 and float64. */
  setFallbacks(kernels: Partial<Kernels>): void;
}

const kernelNames: KernelName[] = [
  'unary', 'binary', 'clamp', 'where', 'reduce', 'gemm', 'stridedCopy', 'stridedAssign',
  'im2col', 'col2im', 'indexSelect', 'indexAdd', 'gather', 'scatterAdd',
  'biasActivation', 'activationGrad', 'bernoulliLogits', 'bernoulliLogitsGrad', 'gaussianKL', 'adamStep', 'philox', 'boxMuller32',
  'rqSpline', 'rqSplineGrad',
];

const buildHint = 'build them with `npm rebuild latent` (or `node scripts/build-native.mjs` in a checkout)';

/** The addon file: next to the sources (src/kernels -> ../../native) or to the compiled files (dist/src/kernels -> ../../../native). */
function addonPath(): string | undefined {
  for (const rel of ['../../native/build/Release/latent_native.node', '../../../native/build/Release/latent_native.node']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

function load(): { addon?: Addon; path?: string; reason?: string } {
  const path = addonPath();
  if (!path) return { reason: 'native/build/Release/latent_native.node is not built' };
  try {
    const addon = createRequire(import.meta.url)(path) as Addon;
    for (const name of kernelNames) {
      if (typeof addon[name] !== 'function') return { path, reason: `the addon at ${path} has no kernel '${name}' (rebuild it)` };
    }
    return { addon, path };
  } catch (e) {
    return { path, reason: `loading ${path} failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

const loaded = load();
const addon = loaded.addon;

if (addon) {
  const fallbacks: Partial<Record<KernelName, unknown>> = {};
  for (const name of kernelNames) {
    fallbacks[name] = kernelFor(name, 'js');
    registerKernel(name, 'native', addon[name] as Kernels[typeof name]);
  }
  addon.setFallbacks(fallbacks as Partial<Kernels>);
}

/** Whether the native kernels loaded, why not, and the instruction set and thread count they use. */
export function nativeStatus(): NativeStatus {
  if (!addon) return { loaded: false, reason: loaded.reason, isa: 'scalar', threads: 1, path: loaded.path, allocator: 'system' };
  return { loaded: true, isa: addon.isa(), threads: addon.threads(), path: loaded.path, allocator: addon.allocator?.() ?? 'system' };
}

/**
 * Lowers the instruction set the native GEMM uses ('avx2' or 'scalar' on an
 * AVX-512 machine), so tests can run every code path on one machine; returns
 * the one in effect. Never raises it above what the CPU supports.
 */
export function setNativeIsa(isa: NativeStatus['isa']): NativeStatus['isa'] {
  if (!addon) throw new Error(`setNativeIsa: the native kernels are not loaded (${loaded.reason}); ${buildHint}`);
  return addon.isa(isa);
}

/** The instruction set the CPU supports, as the addon sees it. */
export function detectedNativeIsa(): NativeStatus['isa'] {
  return addon ? addon.detectedIsa() : 'scalar';
}

const requested = process.env.LATENT_BACKEND;
if (requested === 'native') {
  if (!addon) {
    throw new Error(`LATENT_BACKEND=native, but the native kernels are not available (${loaded.reason}); ${buildHint}, or unset LATENT_BACKEND`);
  }
  setBackend('native');
} else if (requested === 'js') {
  setBackend('js');
} else if (requested !== undefined && requested !== '') {
  throw new Error(`LATENT_BACKEND must be 'js' or 'native', got '${requested}'`);
} else if (addon) {
  setBackend('native');
} else {
  console.warn(`latent: native kernels not loaded (${loaded.reason}); using the TypeScript kernels (${buildHint}; LATENT_BACKEND=js silences this)`);
}
