/**
 * The fast actor-critic engine: hand-written forward/backward passes with analytic gradients
 * of the action heads; the algorithm's {@link Loss} (PPO, A2C, GRPO, in their own files)
 * supplies the loss and its derivatives per sample. For the small MLPs the agents use
 * (e.g. 20 → 64 → 64) this is much faster than tfjs, whose per-operation overhead dominates at
 * these sizes. The tfjs engine is the autodiff reference; the tests cross-check gradients.
 *
 * Two arithmetic paths ({@link FastPrecision}) share everything except the networks and the
 * optimiser:
 * - `float32` (the default when the kernels load): WebAssembly 128-bit SIMD kernels assembled
 *   from `kernels.wat` (`wasm_mlp.ts`), float32 like PyTorch; ~3× the PPO throughput of
 *   `float64` on the benchmark (`deno task bench:train`);
 * - `float64`: JavaScript loops on Float64Array (`mlp.ts`, `optim.ts`), the reference the
 *   float32 path is cross-checked against (`tests/agents_wasm_test.ts`).
 * The heads and the loss run in float64 JavaScript on both paths (per-sample work, small).
 *
 * Heads:
 * - categorical: logits; with masks, invalid actions get probability exactly 0 (equivalent to
 *   setting their logits to −1e8: `exp(−1e8 − max)` underflows to 0 in float64) and the
 *   entropy is taken over valid actions only;
 * - diagonal Gaussian: mean from the policy net, state-independent `pi/log_std` parameter;
 *   actions are NOT squashed or clipped here (the algorithm clips before `env.step`, as SB3);
 * - value: separate MLP with a linear 1-unit head.
 *
 * Hot path: parameters and gradients are two flat arrays (each weight tensor is a view; in
 * WebAssembly memory on the float32 path), scratch buffers are sized for the largest batch
 * seen, so {@link FastEngine.update} allocates only its small stats objects.
 *
 * @module
 */
import { Rng } from "../../../util/mod.ts";
import { ModelError } from "../../../util/mod.ts";
import type {
  ActorCriticEngine,
  Loss,
  LossGradients,
  LossInputs,
  Minibatch,
  NamedTensor,
  NetworkConfig,
  StepConfig,
  UpdateStats,
} from "../engine.ts";
import type { ActOptions, ActResult } from "../../policy.ts";
import { initNetwork, policyOutputSize, tensorSpecs, validateNetworkConfig } from "../init.ts";
import { type DenseLayer, Mlp } from "./mlp.ts";
import { Adam, clipGradNorm, type FlatOptimizer, RmsProp } from "./optim.ts";
import { WASM_KERNELS, wasmKernelsUnavailable } from "./wasm_kernels.ts";
import { WasmArena, type WasmDenseLayer, WasmMlp, WasmOptimizer } from "./wasm_mlp.ts";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Options of {@link FastEngine}. */
export interface FastEngineOptions {
  /** Seed of the weight initialisation (`initNetwork(config, new Rng(seed))`) and of the action-sampling PRNG. Default 0. */
  seed?: number;
  /** Start from these weights instead of a fresh initialisation. */
  weights?: NamedTensor[];
  /** Policy name for reports. Default `"fast"`. */
  name?: string;
  /** Arithmetic of the networks and optimiser. Default {@link DEFAULT_FAST_PRECISION}. */
  precision?: FastPrecision;
}

/**
 * The fast engine's two paths: `float64` — JavaScript loops on Float64Array (`mlp.ts`,
 * `optim.ts`), the reference for cross-checks; `float32` — WebAssembly 128-bit SIMD kernels
 * (`kernels.wat`, `wasm_mlp.ts`), float32 like PyTorch.
 */
export type FastPrecision = "float64" | "float32";

/**
 * The default path, chosen by measurement (`deno task bench:train`): `float32` when the
 * WebAssembly kernels load, else `float64`.
 */
export const DEFAULT_FAST_PRECISION: FastPrecision = WASM_KERNELS ? "float32" : "float64";

interface TensorSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Per-sample loss terms of one minibatch (scratch, owned by the engine). */
interface Scratch {
  capacity: number;
  logp: Float64Array;
  entropy: Float64Array;
  /** dLoss/dLogProb, dLoss/dEntropy and dLoss/dV, written by the algorithm's loss. */
  dLogp: Float64Array;
  dEntropy: Float64Array;
  dV: Float64Array;
  /** dLoss/dPolicyOutput, `capacity × nOut`. */
  dPi: Float64Array;
  /** Probabilities, `capacity × nOut` (categorical). */
  probs: Float64Array;
  /** The loss's view of the above (allocated once per capacity). */
  inputs: LossInputs;
  lossGrads: LossGradients;
}

/** The forward/backward interface shared by the Float64 ({@link Mlp}) and Float32 ({@link WasmMlp}) nets. */
interface Net {
  forward(x: Float64Array, batch: number): Float64Array;
  backward(x: Float64Array, batch: number, dOut: Float64Array): void;
}

/** The Float32 path's memory and byte addresses. */
interface WasmState {
  arena: WasmArena;
  params: number;
  grads: number;
  size: number;
  opt: WasmOptimizer;
}

/** Fast engine: MLPs with analytic gradients, Float64 JavaScript or Float32 SIMD. See the module docs. */
export class FastEngine implements ActorCriticEngine {
  readonly engine = "fast" as const;
  readonly name: string;
  readonly config: NetworkConfig;
  /** Arithmetic of the networks and optimiser: `float64` (JavaScript) or `float32` (SIMD). */
  readonly precision: FastPrecision;
  readonly #slots: TensorSlot[];
  readonly #params: Float64Array | Float32Array;
  readonly #grads: Float64Array | Float32Array;
  readonly #pi: Net;
  readonly #vf: Net | null;
  readonly #logStd: Float64Array | Float32Array | null;
  readonly #gLogStd: Float64Array | Float32Array | null;
  readonly #nOut: number;
  readonly #categorical: boolean;
  /** Float64 path's optimiser (null on the Float32 path). */
  readonly #opt: FlatOptimizer | null;
  /** Float32 path's memory (null on the Float64 path). */
  readonly #wasm: WasmState | null;
  #rng: Rng;
  #s: Scratch;

  /** @param config network shape and optimiser. */
  constructor(config: NetworkConfig, options: FastEngineOptions = {}) {
    validateNetworkConfig(config);
    this.config = structuredClone(config);
    this.name = options.name ?? "fast";
    this.precision = options.precision ?? DEFAULT_FAST_PRECISION;
    if (this.precision !== "float32" && this.precision !== "float64") {
      throw new ModelError(
        `unknown precision '${this.precision}'`,
        { parameter: "precision" },
        "use 'float32' or 'float64'",
      );
    }
    if (this.precision === "float32" && !WASM_KERNELS) {
      throw new ModelError(
        `the fast engine's float32 path needs the WebAssembly kernels: ${wasmKernelsUnavailable}`,
        { parameter: "precision" },
        "use precision 'float64'",
      );
    }
    const seed = options.seed ?? 0;
    const specs = tensorSpecs(config);
    let offset = 0;
    this.#slots = specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const slot = { name: s.name, shape: s.shape, offset, size };
      offset += size;
      return slot;
    });
    const size = offset;
    this.#nOut = policyOutputSize(config);
    this.#categorical = config.head.kind === "categorical";
    const slot = (name: string) => {
      const s = this.#slots.find((x) => x.name === name);
      if (!s) throw new ModelError(`internal: no tensor ${name}`);
      return s;
    };
    const layerNames = (prefix: string, hidden: number[], out: number) => {
      let inSize = config.obsDim;
      const names = hidden.map((_, i) => `${prefix}/dense_${i}`).concat(`${prefix}/head`);
      const widths = hidden.concat(out);
      return names.map((name, i) => {
        const layer = { name, inSize, outSize: widths[i] };
        inSize = widths[i];
        return layer;
      });
    };
    const piLayers = layerNames("pi", config.piHidden, this.#nOut);
    const vfLayers = config.critic ? layerNames("vf", config.vfHidden, 1) : null;

    if (this.precision === "float64") {
      this.#params = new Float64Array(size);
      this.#grads = new Float64Array(size);
      const view = (arr: Float64Array, name: string) => {
        const s = slot(name);
        return arr.subarray(s.offset, s.offset + s.size);
      };
      const p = this.#params;
      const g = this.#grads;
      const build = (layers: { name: string; inSize: number; outSize: number }[]) =>
        new Mlp(layers.map(({ name, inSize, outSize }): DenseLayer => ({
          inSize,
          outSize,
          w: view(p, `${name}/kernel`),
          b: view(p, `${name}/bias`),
          gw: view(g, `${name}/kernel`),
          gb: view(g, `${name}/bias`),
        })));
      this.#pi = build(piLayers);
      this.#vf = vfLayers ? build(vfLayers) : null;
      const o = this.config.optimizer;
      this.#opt = o.kind === "adam"
        ? new Adam(size, o.eps, o.beta1 ?? 0.9, o.beta2 ?? 0.999)
        : new RmsProp(size, o.alpha, o.eps);
      this.#wasm = null;
    } else {
      // one WebAssembly memory: parameters, gradients, optimiser state, then each net's scratch
      const arena = new WasmArena();
      const params = arena.alloc(size);
      const grads = arena.alloc(size);
      const opt = new WasmOptimizer(arena, size, this.config.optimizer);
      const addr = (base: number, name: string) => base + 4 * slot(name).offset;
      const build = (layers: { name: string; inSize: number; outSize: number }[]) =>
        new WasmMlp(
          arena,
          layers.map(({ name, inSize, outSize }): WasmDenseLayer => ({
            inSize,
            outSize,
            w: addr(params, `${name}/kernel`),
            b: addr(params, `${name}/bias`),
            gw: addr(grads, `${name}/kernel`),
            gb: addr(grads, `${name}/bias`),
          })),
        );
      this.#pi = build(piLayers);
      this.#vf = vfLayers ? build(vfLayers) : null;
      this.#params = arena.view(params, size);
      this.#grads = arena.view(grads, size);
      this.#opt = null;
      this.#wasm = { arena, params, grads, size, opt };
    }
    const tensorView = (arr: Float64Array | Float32Array, name: string) => {
      const s = slot(name);
      return arr.subarray(s.offset, s.offset + s.size);
    };
    this.#logStd = this.#categorical ? null : tensorView(this.#params, "pi/log_std");
    this.#gLogStd = this.#categorical ? null : tensorView(this.#grads, "pi/log_std");
    this.#rng = new Rng(seed);
    this.#s = this.#makeScratch(64);
    this.setWeights(options.weights ?? initNetwork(config, new Rng(seed)));
  }

  #makeScratch(capacity: number): Scratch {
    const logp = new Float64Array(capacity);
    const entropy = new Float64Array(capacity);
    const dLogp = new Float64Array(capacity);
    const dEntropy = new Float64Array(capacity);
    const dV = new Float64Array(capacity);
    return {
      capacity,
      logp,
      entropy,
      dLogp,
      dEntropy,
      dV,
      dPi: new Float64Array(capacity * this.#nOut),
      probs: new Float64Array(capacity * this.#nOut),
      inputs: { size: 0, logProb: logp, entropy, value: null },
      lossGrads: { logProb: dLogp, entropy: dEntropy, value: dV },
    };
  }

  #ensure(batch: number): void {
    if (batch > this.#s.capacity) {
      this.#s = this.#makeScratch(Math.max(batch, 2 * this.#s.capacity));
    }
  }

  #batchOf(obs: Float64Array): number {
    const b = obs.length / this.config.obsDim;
    if (!Number.isInteger(b)) {
      throw new ModelError(
        `observation length ${obs.length} is not a multiple of obsDim ${this.config.obsDim}`,
        { parameter: "observations" },
      );
    }
    return b;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.#params.length;
  }

  seed(seed: number): void {
    this.#rng = new Rng(seed);
  }

  /**
   * Categorical: fill `probs` row r and return [logSumExp over valid, entropy]; writes
   * log-probabilities implicitly as `z − lse`. Invalid actions get probability 0.
   */
  #softmaxRow(
    z: Float64Array,
    r: number,
    masks: Uint8Array | undefined,
    probs: Float64Array,
  ): number {
    const n = this.#nOut;
    const o = r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      if ((masks === undefined || masks[o + j] !== 0) && z[o + j] > max) max = z[o + j];
    }
    if (max === -Infinity) {
      throw new ModelError(`row ${r} has no valid action (all masked) or non-finite logits`, {
        parameter: "masks",
      });
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      if (masks === undefined || masks[o + j] !== 0) {
        const e = Math.exp(z[o + j] - max);
        probs[o + j] = e;
        sum += e;
      } else probs[o + j] = 0;
    }
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) probs[o + j] *= inv;
    return max + Math.log(sum);
  }

  act(observations: Float64Array, options: ActOptions = {}): ActResult {
    const batch = this.#batchOf(observations);
    this.#ensure(batch);
    const out = this.#pi.forward(observations, batch);
    const n = this.#nOut;
    const masks = options.masks;
    const det = options.deterministic ?? false;
    const logProb = new Float64Array(batch);
    let actions: Float64Array;
    if (this.#categorical) {
      actions = new Float64Array(batch);
      const probs = this.#s.probs;
      for (let r = 0; r < batch; r++) {
        const lse = this.#softmaxRow(out, r, masks, probs);
        const o = r * n;
        let a = 0;
        if (det) {
          let best = -Infinity;
          for (let j = 0; j < n; j++) {
            if (probs[o + j] > 0 && out[o + j] > best) {
              best = out[o + j];
              a = j;
            }
          }
        } else {
          let u = this.#rng.next();
          a = -1;
          for (let j = 0; j < n; j++) {
            u -= probs[o + j];
            if (u < 0) {
              a = j;
              break;
            }
          }
          if (a < 0) { for (let j = n - 1; j >= 0; j--) if (probs[o + j] > 0) (a = j, j = -1); }
        }
        actions[r] = a;
        logProb[r] = out[o + a] - lse;
      }
    } else {
      actions = new Float64Array(batch * n);
      const ls = this.#logStd!;
      let logStdSum = 0;
      for (let k = 0; k < n; k++) logStdSum += ls[k];
      for (let r = 0; r < batch; r++) {
        let lp = -logStdSum - n * HALF_LOG_2PI;
        for (let k = 0; k < n; k++) {
          const mu = out[r * n + k];
          if (det) actions[r * n + k] = mu;
          else {
            const eps = this.#rng.normal();
            actions[r * n + k] = mu + Math.exp(ls[k]) * eps;
            lp -= 0.5 * eps * eps;
          }
        }
        logProb[r] = lp;
      }
    }
    const value = new Float64Array(batch);
    if (this.#vf) {
      const v = this.#vf.forward(observations, batch);
      for (let r = 0; r < batch; r++) value[r] = v[r];
    } else value.fill(NaN);
    return { actions, logProb, value };
  }

  predictValues(obs: Float64Array, batch: number, out?: Float64Array): Float64Array {
    const res = out ?? new Float64Array(batch);
    if (!this.#vf) {
      res.fill(NaN, 0, batch);
      return res;
    }
    const v = this.#vf.forward(obs, batch);
    for (let r = 0; r < batch; r++) res[r] = v[r];
    return res;
  }

  policyOutput(obs: Float64Array, batch: number): Float64Array {
    return this.#pi.forward(obs, batch).slice(0, batch * this.#nOut);
  }

  /** Fill scratch logp/entropy (and probs) for rows of the last policy forward. */
  #logProbEntropy(
    out: Float64Array,
    actions: Float64Array,
    batch: number,
    masks: Uint8Array | undefined,
  ): void {
    const s = this.#s;
    const n = this.#nOut;
    if (this.#categorical) {
      const probs = s.probs;
      for (let r = 0; r < batch; r++) {
        const lse = this.#softmaxRow(out, r, masks, probs);
        const o = r * n;
        const a = actions[r];
        if (!(a >= 0 && a < n && Number.isInteger(a))) {
          throw new ModelError(`action ${a} at row ${r} is not in 0..${n - 1}`, {
            parameter: "actions",
          });
        }
        s.logp[r] = probs[o + a] > 0 ? out[o + a] - lse : -Infinity;
        let h = 0;
        for (let j = 0; j < n; j++) {
          const p = probs[o + j];
          if (p > 0) h -= p * (out[o + j] - lse);
        }
        s.entropy[r] = h;
      }
    } else {
      const ls = this.#logStd!;
      let logStdSum = 0;
      for (let k = 0; k < n; k++) logStdSum += ls[k];
      const h = n * (0.5 + HALF_LOG_2PI) + logStdSum;
      for (let r = 0; r < batch; r++) {
        let lp = -logStdSum - n * HALF_LOG_2PI;
        for (let k = 0; k < n; k++) {
          const z = (actions[r * n + k] - out[r * n + k]) * Math.exp(-ls[k]);
          lp -= 0.5 * z * z;
        }
        s.logp[r] = lp;
        s.entropy[r] = h;
      }
    }
  }

  evaluateActions(
    obs: Float64Array,
    actions: Float64Array,
    batch: number,
    masks?: Uint8Array,
  ): { logProb: Float64Array; entropy: Float64Array } {
    this.#ensure(batch);
    const out = this.#pi.forward(obs, batch);
    this.#logProbEntropy(out, actions, batch, masks);
    return { logProb: this.#s.logp.slice(0, batch), entropy: this.#s.entropy.slice(0, batch) };
  }

  /**
   * Compute the minibatch loss and its gradient (written to the engine's gradient buffer, see
   * {@link getGradients}) without clipping or stepping. `gradNorm` in the result is the
   * unclipped global norm. Used by {@link update} and by the gradient tests.
   */
  lossAndGradient(mb: Minibatch, loss: Loss): UpdateStats {
    const B = mb.size;
    if (!(B > 0)) throw new ModelError("minibatch size must be ≥ 1", { parameter: "size" });
    if (loss.usesCritic && !this.#vf) {
      throw new ModelError("this loss needs a critic; this network has none", {
        parameter: "critic",
      });
    }
    this.#ensure(B);
    const s = this.#s;
    const n = this.#nOut;
    this.#grads.fill(0);

    // ---- forward: policy output → log π(a|s) and entropy per sample; critic → V(s) ---------
    const out = this.#pi.forward(mb.obs, B);
    this.#logProbEntropy(out, mb.actions, B, mb.masks);
    s.inputs.size = B;
    s.inputs.value = loss.usesCritic ? this.#vf!.forward(mb.obs, B) : null;

    // ---- the algorithm's loss: statistics and dLoss/d(logProb, entropy, value) --------------
    const stats = loss.evaluate(mb, s.inputs, s.lossGrads);

    // ---- backward through the action head: dLoss/dPolicyOutput (and dLoss/dLogStd) ---------
    const dPi = s.dPi;
    const probs = s.probs;
    const ls = this.#logStd;
    const gls = this.#gLogStd;
    for (let i = 0; i < B; i++) {
      const dLogp = s.dLogp[i];
      const dEnt = s.dEntropy[i];
      const o = i * n;
      if (this.#categorical) {
        // d log p_a / dz_j = 1[j = a] − p_j;  dH / dz_j = −p_j (log p_j + H)
        const a = mb.actions[i];
        const h = s.entropy[i];
        const lp = s.logp[i];
        for (let j = 0; j < n; j++) {
          const p = probs[o + j];
          if (p > 0) {
            const logpj = out[o + j] - (out[o + a] - lp); // z_j − lse
            dPi[o + j] = dLogp * ((j === a ? 1 : 0) - p) - dEnt * p * (logpj + h);
          } else dPi[o + j] = 0;
        }
      } else {
        // d log p / dμ_k = (a_k − μ_k)/σ_k²;  d log p / d log σ_k = (a_k − μ_k)²/σ_k² − 1;
        // dH / d log σ_k = 1
        for (let k = 0; k < n; k++) {
          const inv2 = Math.exp(-2 * ls![k]);
          const diff = mb.actions[o + k] - out[o + k];
          dPi[o + k] = dLogp * diff * inv2;
          gls![k] += dLogp * (diff * diff * inv2 - 1) + dEnt;
        }
      }
    }

    // ---- backward through the networks --------------------------------------------------------
    this.#pi.backward(mb.obs, B, dPi);
    if (loss.usesCritic) this.#vf!.backward(mb.obs, B, s.dV);
    let g2 = 0;
    if (this.#wasm) g2 = this.#wasm.arena.kernels.sum_squares(this.#wasm.grads, this.#wasm.size);
    else {
      const g = this.#grads;
      for (let i = 0; i < g.length; i++) g2 += g[i] * g[i];
    }
    return { ...stats, gradNorm: Math.sqrt(g2) };
  }

  computeGradients(
    mb: Minibatch,
    loss: Loss,
  ): { gradients: NamedTensor[]; stats: UpdateStats } {
    const stats = this.lossAndGradient(mb, loss);
    return { gradients: this.getGradients(), stats };
  }

  update(mb: Minibatch, loss: Loss, step: StepConfig): UpdateStats {
    const stats = this.lossAndGradient(mb, loss);
    if (this.#wasm) {
      // global-norm clip (torch semantics) fused into the optimiser step as a gradient scale
      const coef = step.maxGradNorm / (stats.gradNorm + 1e-6);
      const scale = Number.isFinite(step.maxGradNorm) && coef < 1 ? coef : 1;
      this.#wasm.opt.apply(this.#wasm.params, this.#wasm.grads, step.learningRate, scale);
    } else {
      clipGradNorm(this.#grads as Float64Array, step.maxGradNorm);
      this.#opt!.apply(
        this.#params as Float64Array,
        this.#grads as Float64Array,
        step.learningRate,
      );
    }
    return stats;
  }

  /** Copy of the gradient of the last {@link lossAndGradient}/{@link update} (after clipping, for `update`). */
  getGradients(): NamedTensor[] {
    return this.#slots.map((s) => ({
      name: s.name,
      shape: [...s.shape],
      data: Float64Array.from(this.#grads.subarray(s.offset, s.offset + s.size)),
    }));
  }

  getWeights(): NamedTensor[] {
    return this.#slots.map((s) => ({
      name: s.name,
      shape: [...s.shape],
      data: Float64Array.from(this.#params.subarray(s.offset, s.offset + s.size)),
    }));
  }

  setWeights(weights: NamedTensor[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const s of this.#slots) {
      const w = byName.get(s.name);
      if (!w) {
        throw new ModelError(
          `weights are missing tensor '${s.name}'`,
          { parameter: s.name },
          "the saved model was built for a different network shape",
        );
      }
      if (w.data.length !== s.size || w.shape.join(",") !== s.shape.join(",")) {
        throw new ModelError(
          `tensor '${s.name}' has shape [${w.shape}] but the network needs [${s.shape}]`,
          { parameter: s.name },
        );
      }
    }
    if (byName.size !== this.#slots.length) {
      const extra = [...byName.keys()].filter((k) => !this.#slots.some((s) => s.name === k));
      throw new ModelError(`unexpected tensors: ${extra.join(", ")}`, { parameter: "weights" });
    }
    for (const s of this.#slots) this.#params.set(byName.get(s.name)!.data, s.offset);
  }

  /**
   * Optimiser state as named tensors: Adam `adam/m/<param>`, `adam/v/<param>`; RMSprop
   * `rmsprop/square_avg/<param>`; `step` = optimiser steps taken.
   */
  getOptimizerState(): { step: number; tensors: NamedTensor[] } {
    const tensors: NamedTensor[] = [];
    const opt = this.#wasm ? this.#wasm.opt : this.#opt!;
    for (const [key, buf] of Object.entries(opt.buffers())) {
      for (const s of this.#slots) {
        tensors.push({
          name: `${opt.kind}/${key}/${s.name}`,
          shape: [...s.shape],
          data: Float64Array.from(buf.subarray(s.offset, s.offset + s.size)),
        });
      }
    }
    return { step: opt.step, tensors };
  }

  setOptimizerState(state: { step: number; tensors: NamedTensor[] }): void {
    const byName = new Map(state.tensors.map((t) => [t.name, t]));
    const opt = this.#wasm ? this.#wasm.opt : this.#opt!;
    for (const [key, buf] of Object.entries(opt.buffers())) {
      for (const s of this.#slots) {
        const name = `${opt.kind}/${key}/${s.name}`;
        const t = byName.get(name);
        if (!t || t.data.length !== s.size) {
          throw new ModelError(`optimiser state lacks '${name}' or has the wrong size`, {
            parameter: name,
          });
        }
        buf.set(t.data, s.offset);
      }
    }
    opt.step = state.step;
  }

  clone(): FastEngine {
    const c = new FastEngine(this.config, {
      weights: this.getWeights(),
      name: this.name,
      precision: this.precision,
    });
    c.#rng.setState(this.#rng.getState());
    return c;
  }

  dispose(): void {}
}
