/**
 * The tfjs actor-critic engine: the reference implementation of {@link ActorCriticEngine}.
 *
 * Separate policy and value MLPs (tanh hidden layers) held as tfjs variables; a categorical
 * head with optional invalid-action masking or a diagonal Gaussian head with a
 * state-independent log-std, written as tfjs ops and differentiated by tfjs autodiff
 * (`tf.variableGrads`). The algorithm's {@link Loss} (PPO, A2C, GRPO, in their own files) is
 * evaluated on the host from the per-sample log-probabilities, entropies and values; autodiff
 * carries its derivatives through the head and the networks. Any other architecture an
 * analyst writes in a notebook can follow the same pattern.
 *
 * Numerics: tfjs computes in float32 (no backend supports float64), so weights, losses and
 * gradients carry ~1e-7 relative rounding; the fast engine (float64) is cross-checked against
 * this one in `tests/agents_crosscheck_test.ts` with a documented float32 tolerance.
 *
 * Optimisers follow PyTorch semantics exactly (as Stable-Baselines3 uses them), implemented
 * by hand with tensors rather than `tf.train.*`:
 * - Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
 *   (tfjs's Adam is algebraically the same, but the learning rate changes every step with
 *   annealing and the state must be saved, so it is explicit here.)
 * - RMSprop (PyTorch, not centred, no momentum): s ← αs + (1−α)g²; θ ← θ − lr·g/(√s + ε).
 *   tfjs's `tf.train.rmsprop` puts ε INSIDE the square root (g/√(s+ε)), which differs from
 *   PyTorch/SB3 when s is small — hence the manual update.
 * - Global gradient-norm clip as `torch.nn.utils.clip_grad_norm_`: g ← g · min(1, c/(‖g‖+1e-6)).
 *
 * Action sampling uses the project's seeded {@link Rng} on the host (never `tf.multinomial`).
 *
 * @module
 */
import { tf } from "../../../signals/mod.ts";
import { Rng } from "../../../util/mod.ts";
import { ModelError } from "../../../util/mod.ts";
import type { ActOptions, ActResult } from "../../policy.ts";
import type {
  ActorCriticEngine,
  EngineKind,
  Loss,
  LossGradients,
  LossInputs,
  LossStats,
  Minibatch,
  NamedTensor,
  NetworkConfig,
  StepConfig,
  UpdateStats,
} from "../engine.ts";
import { ensureBackendSync } from "./backend.ts";
import { initNetwork, tensorSpecs, validateNetworkConfig } from "../init.ts";

/** Large negative logit given to masked (invalid) actions: exp underflows to exactly 0. */
export const MASKED_LOGIT: number = -1e8;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Options of {@link TfjsEngine}. */
export interface TfjsEngineOptions {
  /**
   * Start from these weights instead of a fresh initialisation
   * (`initNetwork(config, new Rng(seed))`, exactly as the fast engine, rounded to float32).
   */
  weights?: NamedTensor[];
  /** Seed of the weight initialisation and of the action-sampling PRNG. Default 0. */
  seed?: number;
  /** Policy name for reports. Default `"tfjs"`. */
  name?: string;
}

let engineCounter = 0;

/** Run `fn` in a tfjs scope: every tensor it creates is disposed unless `tf.keep`-ed. */
function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

/** tfjs implementation of {@link ActorCriticEngine} (float32, autodiff). */
export class TfjsEngine implements ActorCriticEngine {
  /** Always `tfjs`. */
  readonly engine: EngineKind = "tfjs";
  readonly name: string;
  /** Network shape, head and optimiser (a copy). */
  readonly config: NetworkConfig;
  readonly #names: string[];
  readonly #vars = new Map<string, tf.Variable>();
  readonly #opt = new Map<string, tf.Variable>();
  readonly #prefix: string;
  #step = 0;
  #rng: Rng;
  #hostBuf: { inputs: LossInputs; grads: LossGradients; value: Float64Array } | null = null;
  readonly #outDim: number;

  /**
   * Create the variables (and zeroed optimiser state) of a network.
   * @param config network shape and optimiser.
   * @param options initial weights, seed, name.
   */
  constructor(config: NetworkConfig, options: TfjsEngineOptions = {}) {
    validateNetworkConfig(config);
    ensureBackendSync();
    this.config = structuredClone(config);
    this.name = options.name ?? "tfjs";
    this.#rng = new Rng(options.seed ?? 0);
    this.#outDim = config.head.kind === "categorical" ? config.head.n : config.head.dim;
    this.#prefix = `rlt_tfjs_${engineCounter++}`;
    const specs = tensorSpecs(config);
    this.#names = specs.map((s) => s.name);
    const init = options.weights ?? initNetwork(config, new Rng(options.seed ?? 0));
    const given = new Map(init.map((w) => [w.name, w]));
    for (const s of specs) {
      const w = given.get(s.name);
      if (!w) {
        throw new ModelError(
          `missing weight tensor "${s.name}"`,
          { parameter: "weights" },
          "initialise the weights with lib/agents/engines/init.ts for this network config",
        );
      }
      checkShape(w, s.shape);
    }
    // all present and well-shaped: only now create tfjs variables (nothing leaks on error)
    for (const s of specs) {
      const w = given.get(s.name)!;
      tf.tidy(() => {
        const init = tf.tensor(Float32Array.from(w.data), s.shape);
        this.#vars.set(s.name, tf.variable(init, true, `${this.#prefix}/${s.name}`));
        for (const slot of this.#slotNames()) {
          this.#opt.set(
            `${slot}/${s.name}`,
            tf.variable(tf.zeros(s.shape), false, `${this.#prefix}/${slot}/${s.name}`),
          );
        }
      });
    }
  }

  /** Optimiser state prefixes, named as the fast engine names them. */
  #slotNames(): string[] {
    return this.config.optimizer.kind === "adam" ? ["adam/m", "adam/v"] : ["rmsprop/square_avg"];
  }

  /** Names of the trainable tensors, in engine order. */
  get weightNames(): string[] {
    return [...this.#names];
  }

  // ---------------------------------------------------------------- forward (tf ops)

  #mlp(x: tf.Tensor2D, net: "pi" | "vf", hidden: number[]): tf.Tensor2D {
    let h = x;
    for (let i = 0; i < hidden.length; i++) {
      const k = this.#vars.get(`${net}/dense_${i}/kernel`)!;
      const b = this.#vars.get(`${net}/dense_${i}/bias`)!;
      h = tf.tanh(tf.add(tf.matMul(h, k), b));
    }
    const k = this.#vars.get(`${net}/head/kernel`)!;
    const b = this.#vars.get(`${net}/head/bias`)!;
    return tf.add(tf.matMul(h, k), b);
  }

  #piOut(x: tf.Tensor2D): tf.Tensor2D {
    return this.#mlp(x, "pi", this.config.piHidden);
  }

  #value(x: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.#mlp(x, "vf", this.config.vfHidden), [-1]);
  }

  /** Log-probabilities of `actions` and per-row entropies (tf ops, differentiable). */
  #logProbEntropy(
    piOut: tf.Tensor2D,
    actions: Float64Array,
    batch: number,
    masks?: Uint8Array,
  ): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    const head = this.config.head;
    if (head.kind === "categorical") {
      let logits = piOut;
      if (masks) {
        const m = tf.tensor2d(masks.subarray(0, batch * head.n), [batch, head.n], "bool");
        logits = tf.where(m, logits, tf.fill([batch, head.n], MASKED_LOGIT));
      }
      const logp = tf.logSoftmax(logits);
      const idx = new Int32Array(batch);
      for (let i = 0; i < batch; i++) {
        const a = actions[i];
        if (!(Number.isInteger(a) && a >= 0 && a < head.n)) {
          throw new ModelError(`action ${a} at row ${i} is not in 0..${head.n - 1}`, {
            parameter: "actions",
          });
        }
        idx[i] = a;
      }
      const oneHot = tf.oneHot(tf.tensor1d(idx, "int32"), head.n);
      const logProb = tf.sum(tf.mul(logp, oneHot), 1) as tf.Tensor1D;
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D;
      return { logProb, entropy };
    }
    const d = head.dim;
    const logStd = this.#vars.get("pi/log_std")!;
    const a = tf.tensor2d(Float32Array.from(actions.subarray(0, batch * d)), [batch, d]);
    const z = tf.div(tf.sub(a, piOut), tf.exp(logStd));
    const perDim = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), HALF_LOG_2PI);
    const logProb = tf.sum(perDim, 1) as tf.Tensor1D;
    const entRow = tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI));
    const entropy = tf.mul(tf.ones([batch]), entRow) as tf.Tensor1D;
    return { logProb, entropy };
  }

  /**
   * Gradients of the algorithm's loss (raw, unclipped), their global norm and the loss
   * statistics. The forward pass gives per-sample log π(a|s), entropy and V(s) as tensors; the
   * loss is evaluated on the host from their values, and autodiff differentiates the
   * surrogate Σᵢ (∂L/∂logπᵢ)·logπᵢ + (∂L/∂Hᵢ)·Hᵢ + (∂L/∂Vᵢ)·Vᵢ with the loss's derivatives held
   * constant, which has exactly the loss's gradient (chain rule).
   */
  #grads(mb: Minibatch, loss: Loss): {
    grads: Map<string, tf.Tensor>;
    stats: LossStats;
    gradNorm: number;
  } {
    const n = mb.size;
    if (loss.usesCritic && !this.config.critic) {
      throw new ModelError("this loss needs a critic; this network has none", {
        parameter: "critic",
      });
    }
    const h = this.#host(n);
    let stats: LossStats | null = null;
    const trainable = this.#trainableNames(loss);
    const varList = trainable.map((nm) => this.#vars.get(nm)!);
    const { grads, norm } = scoped(() => {
      const { grads } = tf.variableGrads(() => {
        const d = this.config.obsDim;
        const x = tf.tensor2d(Float32Array.from(mb.obs.subarray(0, n * d)), [n, d]);
        const { logProb, entropy } = this.#logProbEntropy(this.#piOut(x), mb.actions, n, mb.masks);
        const value = loss.usesCritic ? this.#value(x) : null;
        h.inputs.size = n;
        h.inputs.logProb.set(logProb.dataSync());
        h.inputs.entropy.set(entropy.dataSync());
        h.inputs.value = null;
        if (value) {
          h.value.set(value.dataSync());
          h.inputs.value = h.value;
        }
        stats = loss.evaluate(mb, h.inputs, h.grads);
        const coef = (g: Float64Array) => tf.tensor1d(Float32Array.from(g.subarray(0, n)));
        let surrogate = tf.add(
          tf.sum(tf.mul(coef(h.grads.logProb), logProb)),
          tf.sum(tf.mul(coef(h.grads.entropy), entropy)),
        );
        if (value) surrogate = tf.add(surrogate, tf.sum(tf.mul(coef(h.grads.value), value)));
        return surrogate as tf.Scalar;
      }, varList);
      const out = new Map<string, tf.Tensor>();
      const sq: tf.Scalar[] = [];
      for (const nm of trainable) {
        const g = grads[this.#vars.get(nm)!.name] ?? tf.zerosLike(this.#vars.get(nm)!);
        out.set(nm, tf.keep(g));
        sq.push(tf.sum(tf.square(g)));
      }
      const norm = tf.keep(tf.sqrt(tf.addN(sq)));
      return { grads: out, norm };
    });
    const gradNorm = norm.dataSync()[0];
    norm.dispose();
    return { grads, stats: stats!, gradNorm };
  }

  /** Host buffers the loss reads and writes, grown on demand. */
  #host(n: number): { inputs: LossInputs; grads: LossGradients; value: Float64Array } {
    if (!this.#hostBuf || this.#hostBuf.value.length < n) {
      const cap = Math.max(n, 64);
      const value = new Float64Array(cap);
      this.#hostBuf = {
        inputs: {
          size: 0,
          logProb: new Float64Array(cap),
          entropy: new Float64Array(cap),
          value: null,
        },
        grads: {
          logProb: new Float64Array(cap),
          entropy: new Float64Array(cap),
          value: new Float64Array(cap),
        },
        value,
      };
    }
    return this.#hostBuf;
  }

  /** Trainable tensors for a loss: the critic's only if the loss uses it. */
  #trainableNames(loss: Loss): string[] {
    if (!loss.usesCritic) return this.#names.filter((n) => !n.startsWith("vf/"));
    return this.#names;
  }

  /** Raw gradients and statistics without touching weights or optimiser state. */
  computeGradients(
    mb: Minibatch,
    loss: Loss,
  ): { gradients: NamedTensor[]; stats: UpdateStats } {
    const { grads, stats, gradNorm } = this.#grads(mb, loss);
    const gradients: NamedTensor[] = [];
    for (const [name, g] of grads) {
      gradients.push({ name, shape: g.shape.slice(), data: Float64Array.from(g.dataSync()) });
      g.dispose();
    }
    return { gradients, stats: { ...stats, gradNorm } };
  }

  /** One optimiser step: autodiff gradients, global-norm clip, Adam or RMSprop. */
  update(mb: Minibatch, loss: Loss, step: StepConfig): UpdateStats {
    const { grads, stats, gradNorm } = this.#grads(mb, loss);
    const clip = Math.min(1, step.maxGradNorm / (gradNorm + 1e-6));
    const opt = this.config.optimizer;
    this.#step++;
    const t = this.#step;
    tf.tidy(() => {
      for (const [name, g0] of grads) {
        const g = tf.mul(g0, clip);
        const p = this.#vars.get(name)!;
        if (opt.kind === "adam") {
          const b1 = opt.beta1 ?? 0.9;
          const b2 = opt.beta2 ?? 0.999;
          const m = this.#opt.get(`adam/m/${name}`)!;
          const v = this.#opt.get(`adam/v/${name}`)!;
          m.assign(tf.add(tf.mul(b1, m), tf.mul(1 - b1, g)));
          v.assign(tf.add(tf.mul(b2, v), tf.mul(1 - b2, tf.square(g))));
          const bc1 = 1 - Math.pow(b1, t);
          const bc2 = 1 - Math.pow(b2, t);
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), opt.eps);
          p.assign(tf.sub(p, tf.mul(step.learningRate / bc1, tf.div(m, denom))));
        } else {
          const s = this.#opt.get(`rmsprop/square_avg/${name}`)!;
          s.assign(tf.add(tf.mul(opt.alpha, s), tf.mul(1 - opt.alpha, tf.square(g))));
          p.assign(
            tf.sub(p, tf.mul(step.learningRate, tf.div(g, tf.add(tf.sqrt(s), opt.eps)))),
          );
        }
      }
    });
    for (const g of grads.values()) g.dispose();
    return { ...stats, gradNorm };
  }

  // ---------------------------------------------------------------- Policy

  /** Act on `batch × obsDim` observations: sample with the seeded PRNG or take the mode. */
  act(observations: Float64Array, options: ActOptions = {}): ActResult {
    const d = this.config.obsDim;
    const batch = observations.length / d;
    if (!Number.isInteger(batch)) {
      throw new ModelError(
        `observation length ${observations.length} is not a multiple of obsDim ${d}`,
        { parameter: "observations" },
      );
    }
    const [piData, vData] = scoped(() => {
      const x = tf.tensor2d(Float32Array.from(observations.subarray(0, batch * d)), [batch, d]);
      const pi = this.#piOut(x).dataSync();
      const v = this.config.critic ? this.#value(x).dataSync() : null;
      return [pi, v];
    });
    const actions = new Float64Array(
      batch * (this.config.head.kind === "categorical" ? 1 : this.#outDim),
    );
    const logProb = new Float64Array(batch);
    const value = new Float64Array(batch);
    if (vData) { for (let i = 0; i < batch; i++) value[i] = vData[i]; }
    else value.fill(NaN);
    const head = this.config.head;
    if (head.kind === "categorical") {
      const n = head.n;
      const p = new Float64Array(n);
      for (let i = 0; i < batch; i++) {
        let max = -Infinity;
        for (let k = 0; k < n; k++) {
          const l = options.masks && !options.masks[i * n + k] ? MASKED_LOGIT : piData[i * n + k];
          p[k] = l;
          if (l > max) max = l;
        }
        let sum = 0;
        for (let k = 0; k < n; k++) sum += Math.exp(p[k] - max);
        const lse = max + Math.log(sum);
        let a = 0;
        if (options.deterministic) {
          for (let k = 1; k < n; k++) if (p[k] > p[a]) a = k;
        } else {
          // Inverse-CDF draw with one uniform, in the same order as the fast engine.
          let u = this.#rng.next();
          a = -1;
          for (let k = 0; k < n && a < 0; k++) {
            u -= Math.exp(p[k] - lse);
            if (u < 0) a = k;
          }
          if (a < 0) {
            a = n - 1;
            while (a > 0 && p[a] === MASKED_LOGIT) a--;
          }
        }
        actions[i] = a;
        logProb[i] = p[a] - lse;
      }
    } else {
      const dim = head.dim;
      const logStd = this.#vars.get("pi/log_std")!.dataSync();
      for (let i = 0; i < batch; i++) {
        let lp = 0;
        for (let k = 0; k < dim; k++) {
          const mu = piData[i * dim + k];
          const ls = logStd[k];
          const z = options.deterministic ? 0 : this.#rng.normal();
          actions[i * dim + k] = mu + Math.exp(ls) * z;
          lp += -0.5 * z * z - ls - HALF_LOG_2PI;
        }
        logProb[i] = lp;
      }
    }
    return { actions, logProb, value };
  }

  /** State values (NaN without a critic). */
  predictValues(obs: Float64Array, batch: number, out?: Float64Array): Float64Array {
    const res = out ?? new Float64Array(batch);
    if (!this.config.critic) return res.fill(NaN, 0, batch);
    const d = this.config.obsDim;
    const v = scoped(() =>
      this.#value(tf.tensor2d(Float32Array.from(obs.subarray(0, batch * d)), [batch, d]))
        .dataSync()
    );
    for (let i = 0; i < batch; i++) res[i] = v[i];
    return res;
  }

  /** Log-probabilities and entropies of given actions. */
  evaluateActions(
    obs: Float64Array,
    actions: Float64Array,
    batch: number,
    masks?: Uint8Array,
  ): { logProb: Float64Array; entropy: Float64Array } {
    const d = this.config.obsDim;
    return scoped(() => {
      const x = tf.tensor2d(Float32Array.from(obs.subarray(0, batch * d)), [batch, d]);
      const r = this.#logProbEntropy(this.#piOut(x), actions, batch, masks);
      return {
        logProb: Float64Array.from(r.logProb.dataSync()),
        entropy: Float64Array.from(r.entropy.dataSync()),
      };
    });
  }

  /** Logits (categorical) or means (Gaussian), `batch × outDim`. */
  policyOutput(obs: Float64Array, batch: number): Float64Array {
    const d = this.config.obsDim;
    return scoped(() =>
      Float64Array.from(
        this.#piOut(tf.tensor2d(Float32Array.from(obs.subarray(0, batch * d)), [batch, d]))
          .dataSync(),
      )
    );
  }

  // ---------------------------------------------------------------- state

  /** Copy of all weights (float32 values widened to float64). */
  getWeights(): NamedTensor[] {
    return this.#names.map((name) => {
      const v = this.#vars.get(name)!;
      return { name, shape: v.shape.slice(), data: Float64Array.from(v.dataSync()) };
    });
  }

  /** Set all weights (rounded to float32). */
  setWeights(weights: NamedTensor[]): void {
    const given = new Map(weights.map((w) => [w.name, w]));
    for (const name of this.#names) {
      const w = given.get(name);
      if (!w) throw new ModelError(`missing weight tensor "${name}"`, { parameter: "weights" });
      const v = this.#vars.get(name)!;
      checkShape(w, v.shape);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(w.data), v.shape)));
    }
  }

  /**
   * Optimiser state named as the fast engine names it: Adam `adam/m/<param>`, `adam/v/<param>`;
   * RMSprop `rmsprop/square_avg/<param>`; `step` = optimiser steps taken.
   */
  getOptimizerState(): { step: number; tensors: NamedTensor[] } {
    const tensors: NamedTensor[] = [];
    for (const [name, v] of this.#opt) {
      tensors.push({ name, shape: v.shape.slice(), data: Float64Array.from(v.dataSync()) });
    }
    return { step: this.#step, tensors };
  }

  /** Restore optimiser state from {@link getOptimizerState} (either engine). */
  setOptimizerState(state: { step: number; tensors: NamedTensor[] }): void {
    const given = new Map(state.tensors.map((w) => [w.name, w]));
    for (const [name, v] of this.#opt) {
      const w = given.get(name);
      if (!w) {
        throw new ModelError(`optimiser state lacks "${name}"`, { parameter: "optimizerState" });
      }
      checkShape(w, v.shape);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(w.data), v.shape)));
    }
    this.#step = state.step;
  }

  /** Reseed the action-sampling PRNG. */
  seed(seed: number): void {
    this.#rng = new Rng(seed);
  }

  /** Deep copy of the weights with a fresh optimiser. */
  clone(): TfjsEngine {
    const c = new TfjsEngine(this.config, { weights: this.getWeights(), name: this.name });
    c.#rng.setState(this.#rng.getState());
    return c;
  }

  /** Dispose every tfjs variable. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    for (const v of this.#opt.values()) v.dispose();
    this.#vars.clear();
    this.#opt.clear();
  }
}

function checkShape(w: NamedTensor, shape: readonly number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (
    w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i]) ||
    w.data.length !== size
  ) {
    throw new ModelError(
      `weight "${w.name}" has shape [${w.shape}] (${w.data.length} values), expected [${shape}]`,
      { parameter: "weights" },
      "the saved model was built for a different network config",
    );
  }
}
