import { Tensor, arrayFor, type FloatArray } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';

/** Hyperparameter values an optimizer keeps per parameter group. */
export type HyperValue = number | boolean | readonly number[];

/** A parameter group: tensors sharing hyperparameters (e.g. their own lr). */
export type ParamGroup<H> = H & {
  params: Tensor[];
  /** The lr before any schedule changed it; set by the first scheduler created on the optimizer. */
  initialLr?: number;
};

/** Either a list of parameters, or groups each with its own parameters and any hyperparameters to override. */
export type ParamsInput<H> = readonly Tensor[] | readonly (Partial<H> & { params: readonly Tensor[] })[];

/**
 * An optimizer's checkpointable state, shaped like PyTorch's: `state` keyed
 * by the parameter's index across all groups (in order), holding the step
 * count and buffers (copies, as tensors of the parameter's shape); and each
 * group's hyperparameters with the indices of its parameters.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, number | Tensor>>;
  paramGroups: (Record<string, HyperValue | undefined> & { params: number[] })[];
}

/** Per-parameter state: a step count and named buffers, stored as typed arrays of the parameter's dtype. */
export interface ParamState {
  step: number;
  buffers: Record<string, FloatArray>;
}

/**
 * The base of the optimizers: parameter groups with their hyperparameters,
 * per-parameter state, `step()` that updates each parameter having a
 * gradient in place (on `param.data`, with plain typed-array loops and no
 * graph recording), `zeroGrad()`, and `stateDict()`/`loadStateDict()` for
 * checkpoints.
 *
 * A subclass supplies the defaults, a validation of hyperparameters, and
 * `update`, the rule for one parameter.
 */
export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created at a parameter's first update. */
  protected readonly state = new Map<Tensor, ParamState>();
  readonly defaults: H;
  readonly #name: string;

  protected constructor(name: string, params: ParamsInput<H>, defaults: H) {
    this.#name = name;
    this.validate(defaults, `${name}`);
    this.defaults = { ...defaults };
    if (!Array.isArray(params) || params.length === 0) {
      throw new Error(`${name}: got an empty parameter list (pass model.parameters() or a list of parameter groups)`);
    }
    if (params[0] instanceof Tensor) {
      this.addParamGroup({ params: params as readonly Tensor[] } as Partial<H> & { params: readonly Tensor[] });
    } else {
      for (const g of params as readonly (Partial<H> & { params: readonly Tensor[] })[]) this.addParamGroup(g);
    }
  }

  /** Checks hyperparameters, throwing an error that names the option; `where` prefixes the message. */
  protected abstract validate(h: H, where: string): void;

  /**
   * Updates one parameter in place from its gradient. `state` holds this
   * parameter's step count (already incremented) and buffers.
   */
  protected abstract update(param: FloatArray, grad: FloatArray, state: ParamState, group: ParamGroup<H>): void;

  /** Buffers a parameter's state needs, created at its first update (zero-filled). */
  protected abstract bufferNames(group: ParamGroup<H>): string[];

  /** Adds a group of parameters with hyperparameters overriding the defaults. */
  addParamGroup(group: Partial<H> & { params: readonly Tensor[] }): void {
    const where = `${this.#name}: parameter group ${this.paramGroups.length}`;
    if (typeof group !== 'object' || group === null || !Array.isArray(group.params)) {
      throw new Error(`${where}: expected { params: Tensor[], ...options }`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${where}: params[${i}] is not a Tensor`);
      if (!p.isLeaf) throw new Error(`${where}: params[${i}] is not a leaf tensor (it was computed by ops); optimize the tensor it came from`);
      if (seen.has(p)) throw new Error(`${where}: params[${i}] appears more than once across parameter groups`);
      seen.add(p);
    });
    const full = { ...this.defaults, ...group, params: [...group.params] } as ParamGroup<H>;
    this.validate(full, where);
    this.paramGroups.push(full);
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** Sets the learning rate of every group. */
  set lr(value: number) {
    checkLr(value, this.#name);
    for (const g of this.paramGroups) g.lr = value;
  }

  /**
   * One update of every parameter that has a gradient; parameters whose
   * `grad` is null are skipped (their state does not advance). With a
   * `closure` (which should recompute the loss and its gradients), calls
   * it first and returns its result.
   */
  step<T = void>(closure?: () => T): T | undefined {
    const result = closure ? closure() : undefined;
    for (const group of this.paramGroups) {
      checkLr(group.lr, this.#name);
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (g.size !== p.size) {
          throw new Error(`${this.#name}: gradient of shape ${formatShape(g.shape)} does not match its parameter's shape ${formatShape(p.shape)}`);
        }
        let s = this.state.get(p);
        if (!s) {
          s = { step: 0, buffers: {} };
          for (const name of this.bufferNames(group)) s.buffers[name] = arrayFor(p.dtype, p.size);
          this.state.set(p, s);
        }
        s.step += 1;
        this.update(p.data, g.data, s, group);
      }
    }
    return result;
  }

  /** Sets every parameter's gradient to null (PyTorch's default `set_to_none`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** Step counts, buffers (as copies) and group hyperparameters, for a checkpoint. */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const indices: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) {
          const entry: Record<string, number | Tensor> = { step: s.step };
          for (const [name, buf] of Object.entries(s.buffers)) entry[name] = new Tensor(buf.slice(), p.shape);
          state[String(index)] = entry;
        }
        indices.push(index++);
      }
      const hyper: Record<string, HyperValue | undefined> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k !== 'params') hyper[k] = Array.isArray(v) ? [...(v as unknown as number[])] : (v as HyperValue);
      }
      paramGroups.push({ ...hyper, params: indices });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()`: hyperparameters of each group and every
   * parameter's step count and buffers (copied). The groups must have the
   * same sizes as this optimizer's and buffers the parameters' shapes;
   * everything is checked before anything changes.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.#name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || typeof sd.state !== 'object' || !Array.isArray(sd.paramGroups)) {
      throw new Error(`${where}: expected { state, paramGroups } from stateDict()`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state has ${sd.paramGroups.length} parameter group(s), this optimizer ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    const newGroups: ParamGroup<H>[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi];
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        throw new Error(`${where}: parameter group ${gi} has ${saved.params?.length} parameter(s) in the state, ${group.params.length} here`);
      }
      saved.params.forEach((idx, j) => byIndex.set(idx, group.params[j]));
      const { params: _ignored, ...hyper } = saved;
      const merged = { ...group, ...hyper, params: group.params } as ParamGroup<H>;
      this.validate(merged, `${where}: parameter group ${gi}`);
      newGroups.push(merged);
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new Error(`${where}: state for parameter ${key}, which no parameter group lists`);
      const step = entry.step;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
        throw new Error(`${where}: state ${key}: step must be a non-negative integer, got ${String(step)}`);
      }
      const buffers: Record<string, FloatArray> = {};
      for (const [name, t] of Object.entries(entry)) {
        if (name === 'step') continue;
        if (!(t instanceof Tensor)) throw new Error(`${where}: state ${key}: '${name}' is not a Tensor`);
        if (t.size !== p.size) {
          throw new Error(`${where}: state ${key}: '${name}' has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)}`);
        }
        const buf = arrayFor(p.dtype, p.size);
        buf.set(t.data);
        buffers[name] = buf;
      }
      newState.set(p, { step, buffers });
    }
    newGroups.forEach((g, i) => Object.assign(this.paramGroups[i], g));
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }
}

/** Validates a learning rate. */
export function checkLr(lr: unknown, where: string): void {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`${where}: lr must be a finite non-negative number, got ${String(lr)}`);
  }
}

/** Validates a finite non-negative option (weight decay, momentum, ...). */
export function checkNonNegative(value: unknown, where: string, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${where}: ${name} must be a finite non-negative number, got ${String(value)}`);
  }
}

export function checkBoolean(value: unknown, where: string, name: string): void {
  if (typeof value !== 'boolean') throw new Error(`${where}: ${name} must be true or false, got ${String(value)}`);
}
