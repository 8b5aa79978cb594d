import { Tensor } from '../tensor/tensor.js';
import { formatShape, sameShape } from '../tensor/shape.js';

/** A state dict: dotted names (`encoder.0.weight`) to tensors, in PyTorch's names and layouts. */
export type StateDict = Record<string, Tensor>;

/** What `loadStateDict` did not match; both lists are empty after a strict load. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface LoadStateDictOptions {
  /** Throw on missing or unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
}

/**
 * The base of every layer and model: a tree of named parameters, buffers
 * and submodules, named like PyTorch's `nn.Module` so that a state dict
 * written here loads in `torch.nn.Module.load_state_dict` and back.
 *
 * Parameters and submodules are found in two ways:
 * - explicitly, with `registerParameter`, `registerBuffer`, `registerModule`;
 * - from the instance's own enumerable fields, in the order they were
 *   assigned: a `Tensor` field is a parameter (unless registered as a
 *   buffer), a `Module` field a submodule, an array of Modules a list of
 *   submodules named `field.0`, `field.1`, ... (like `nn.ModuleList`), and an
 *   array of Tensors a list of parameters (like `nn.ParameterList`). Fields
 *   whose names start with `_`, ES `#private` fields and `null` values are
 *   skipped.
 *
 * A module's own parameters come first (fields, then explicit
 * registrations), then its buffers, then its submodules': the order of
 * PyTorch's `state_dict()` and `parameters()`.
 *
 * `In` and `Out` type `forward`; modules taking one tensor and returning one
 * use the defaults and can be stacked in a `Sequential`.
 *
 * @example
 * class Affine extends Module {
 *   scale = ones([3], { requiresGrad: true });
 *   shift = zeros([3], { requiresGrad: true });
 *   forward(x: Tensor): Tensor { return x.mul(this.scale).add(this.shift); }
 * }
 * const m = new Affine();
 * Object.keys(m.stateDict());   // ['scale', 'shift']
 * m.numParameters();            // returns 6
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Whether the module is in training mode (`train()`, the default) or evaluation mode (`eval()`). */
  training = true;

  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module<any, any> | null>();

  abstract forward(...args: In): Out;

  /**
   * Registers `t` as the parameter `name` of this module (null reserves the
   * name without a tensor, like an absent bias). Marks it as requiring gradients.
   */
  registerParameter(name: string, t: Tensor | null): void {
    checkName(name, 'registerParameter', this);
    if (t !== null && !(t instanceof Tensor)) throw new Error(`registerParameter: '${name}' must be a Tensor or null`);
    if (t !== null && t.node !== null) {
      throw new Error(`registerParameter: '${name}' must be a leaf tensor (created directly, not computed by ops); detach() it first`);
    }
    if (t !== null) t.requiresGrad = true;
    this.#parameters.set(name, t);
  }

  /**
   * Registers `t` as the buffer `name`: state that is saved in the state
   * dict but is not a parameter (not returned by `parameters()`, never
   * optimized), like BatchNorm's running mean or a MADE mask.
   */
  registerBuffer(name: string, t: Tensor | null): void {
    checkName(name, 'registerBuffer', this);
    if (t !== null && !(t instanceof Tensor)) throw new Error(`registerBuffer: '${name}' must be a Tensor or null`);
    this.#buffers.set(name, t);
  }

  /** Registers `m` as the submodule `name`. */
  registerModule(name: string, m: Module<any, any> | null): void {
    checkName(name, 'registerModule', this);
    if (m !== null && !(m instanceof Module)) throw new Error(`registerModule: '${name}' must be a Module or null`);
    this.#modules.set(name, m);
  }

  /** This module's own parameters (not its submodules'), in order. */
  #ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<string>();
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_') || this.#buffers.has(key) || this.#modules.has(key)) continue;
      if (value instanceof Tensor) {
        out.push([key, value]);
        seen.add(key);
      } else if (isTensorArray(value)) {
        value.forEach((t, i) => out.push([`${key}.${i}`, t]));
        seen.add(key);
      }
    }
    for (const [key, t] of this.#parameters) {
      if (t !== null && !seen.has(key)) out.push([key, t]);
    }
    return out;
  }

  #ownBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, t] of this.#buffers) {
      // A buffer may be reassigned through a field of the same name.
      const field = (this as Record<string, unknown>)[key];
      const current = field instanceof Tensor ? field : t;
      if (current !== null) out.push([key, current]);
    }
    return out;
  }

  /** Direct submodules with their names, in order. */
  namedChildren(): [string, Module<any, any>][] {
    const out: [string, Module<any, any>][] = [];
    const seen = new Set<string>();
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_') || this.#parameters.has(key) || this.#buffers.has(key)) continue;
      if (value instanceof Module) {
        out.push([key, value]);
        seen.add(key);
      } else if (isModuleArray(value)) {
        value.forEach((m, i) => out.push([`${key}.${i}`, m]));
        seen.add(key);
      }
    }
    for (const [key, m] of this.#modules) {
      if (m !== null && !seen.has(key)) out.push([key, m]);
    }
    return out;
  }

  /** Direct submodules, in order. */
  children(): Module<any, any>[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * Every module in the tree with its dotted name, this one first (named
   * ''), depth first. A module reachable twice is listed once, under its
   * first name; a cycle (a module containing itself) throws.
   */
  namedModules(): [string, Module<any, any>][] {
    const out: [string, Module<any, any>][] = [];
    walk(this, '', new Set(), new Set(), (prefix, m) => out.push([prefix.replace(/\.$/, ''), m]));
    return out;
  }

  /**
   * Every parameter in the tree with its dotted name. A tensor shared by
   * several modules (tied weights) is listed once, under its first name, as
   * PyTorch's `named_parameters()` does.
   */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    walk(this, '', new Set(), new Set(), (prefix, m) => {
      for (const [name, t] of m.#ownParameters()) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix + name, t]);
      }
    });
    return out;
  }

  /** Every parameter in the tree, in state-dict order, each once: what an optimizer takes. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer in the tree with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    walk(this, '', new Set(), new Set(), (prefix, m) => {
      for (const [name, t] of m.#ownBuffers()) out.push([prefix + name, t]);
    });
    return out;
  }

  /** The number of parameter entries (each shared tensor counted once); with `trainableOnly`, only those requiring gradients. */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const t of this.parameters()) if (!options.trainableOnly || t.requiresGrad) n += t.size;
    return n;
  }

  /**
   * Parameters and buffers by dotted name, in PyTorch's order and layout,
   * as copies: later training does not change a state dict already taken.
   * A tensor shared under several names appears under each (as in PyTorch).
   *
   * @example
   * const sd = mlp([3, 16, 1], { activation: 'tanh', rng }).stateDict();
   * Object.keys(sd);   // ['0.weight', '0.bias', '2.weight', '2.bias']
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, t] of this.#stateEntries()) out[name] = new Tensor(t.data.slice(), t.shape);
    return out;
  }

  #stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const collect = (m: Module<any, any>, prefix: string, path: Set<Module<any, any>>): void => {
      if (path.has(m)) throw new Error(`Module: cycle: '${prefix.replace(/\.$/, '')}' contains one of its own ancestors`);
      path.add(m);
      for (const [name, t] of m.#ownParameters()) out.push([prefix + name, t]);
      for (const [name, t] of m.#ownBuffers()) out.push([prefix + name, t]);
      for (const [name, child] of m.namedChildren()) collect(child, `${prefix}${name}.`, path);
      path.delete(m);
    };
    collect(this, '', new Set());
    return out;
  }

  /**
   * Copies values from `sd` into this module's parameters and buffers, in
   * place (optimizers holding the parameters keep working), converting
   * dtype if needed. Everything is checked before anything is copied: a
   * shape mismatch names the key with the expected and given shapes; in
   * strict mode (the default) missing and unexpected keys are listed.
   *
   * @example
   * model.loadStateDict(readSafetensors('model.safetensors'));
   */
  loadStateDict(sd: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    if (typeof sd !== 'object' || sd === null) throw new Error('loadStateDict: expected an object of tensors by name');
    const own = this.#stateEntries();
    const ownNames = new Set(own.map(([n]) => n));
    const missingKeys = own.map(([n]) => n).filter((n) => !Object.hasOwn(sd, n));
    const unexpectedKeys = Object.keys(sd).filter((n) => !ownNames.has(n));
    const problems: string[] = [];
    for (const [name, t] of own) {
      if (!Object.hasOwn(sd, name)) continue;
      const src = sd[name];
      if (!(src instanceof Tensor)) {
        problems.push(`'${name}' is not a Tensor`);
      } else if (!sameShape(src.shape, t.shape)) {
        problems.push(`size mismatch for '${name}': expected shape ${formatShape(t.shape)}, got ${formatShape(src.shape)}`);
      }
    }
    if (strict) {
      if (missingKeys.length > 0) problems.push(`missing key(s): ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length > 0) problems.push(`unexpected key(s): ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    }
    if (problems.length > 0) {
      throw new Error(`loadStateDict (${this.constructor.name}): ${problems.join('; ')}`);
    }
    for (const [name, t] of own) {
      if (Object.hasOwn(sd, name)) t.data.set(sd[name].data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets every parameter's gradient to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  /** Sets training mode on this module and all submodules; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Marks every parameter as requiring gradients or not (freezing); returns this. */
  requiresGrad(flag = true): this {
    for (const t of this.parameters()) t.requiresGrad = flag;
    return this;
  }

  toString(): string {
    const kids = this.namedChildren();
    if (kids.length === 0) return `${this.constructor.name}(${this.extraRepr()})`;
    const lines = kids.map(([name, m]) => `  (${name}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${this.constructor.name}(\n${lines.join('\n')}\n)`;
  }

  /** Extra text inside `toString()`'s parentheses, like PyTorch's `extra_repr`. */
  protected extraRepr(): string {
    return '';
  }
}

function checkName(name: string, what: string, m: Module<any, any>): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new Error(`${what}: name must be a non-empty string without '.', got ${JSON.stringify(name)} (in ${m.constructor.name})`);
  }
}

function isTensorArray(v: unknown): v is Tensor[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Tensor);
}

function isModuleArray(v: unknown): v is Module<any, any>[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Module);
}

/** Depth-first pre-order over the module tree; `seen` dedups shared modules, `path` detects cycles. */
function walk(
  m: Module<any, any>, prefix: string, seen: Set<Module<any, any>>, path: Set<Module<any, any>>,
  visit: (prefix: string, m: Module<any, any>) => void,
): void {
  if (path.has(m)) throw new Error(`Module: cycle: '${prefix.replace(/\.$/, '')}' contains one of its own ancestors`);
  if (seen.has(m)) return;
  seen.add(m);
  path.add(m);
  visit(prefix, m);
  for (const [name, child] of m.namedChildren()) walk(child, `${prefix}${name}.`, seen, path, visit);
  path.delete(m);
}
