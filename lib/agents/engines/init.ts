/**
 * Seeded orthogonal weight initialisation shared by BOTH engines (fast and tfjs), so the same
 * seed gives bit-identical initial weights whichever engine trains.
 *
 * Scheme (as Stable-Baselines3 / CleanRL): orthogonal kernels with gain √2 for hidden layers,
 * 0.01 for the policy head, 1 for the value head; zero biases; Gaussian `pi/log_std` filled with
 * `logStdInit`.
 *
 * Draw order (the contract between engines): tensors are produced in the order of
 * {@link tensorSpecs}; for each kernel `[in, out]` a matrix of `max(in,out) × min(in,out)`
 * standard normals is drawn row-major from the {@link Rng}, orthonormalised column by column
 * (modified Gram–Schmidt, applied twice for float64 stability, which equals the Q of a QR
 * decomposition with a positive-diagonal R), and laid out as the kernel (`Q` when `in ≥ out`,
 * `Qᵀ` otherwise) times the gain. Biases and `log_std` draw nothing.
 *
 * @module
 */
import type { Rng } from "../../util/mod.ts";
import { ConfigError } from "../../util/mod.ts";
import type { NamedTensor, NetworkConfig } from "./engine.ts";

/** Orthogonal-initialisation gains (SB3 / CleanRL values). */
export const INIT_GAINS = {
  /** Hidden layers: √2 (tanh/ReLU nets, as SB3). */
  hidden: Math.SQRT2,
  /** Policy head (logits or Gaussian mean): 0.01, so the initial policy is near uniform. */
  policyHead: 0.01,
  /** Value head: 1. */
  valueHead: 1,
} as const;

/** Name, shape and initialisation of one weight tensor. */
export interface TensorSpec {
  /** Tensor name per the {@link NamedTensor} naming. */
  name: string;
  /** `[in, out]` for kernels, `[out]` for biases, `[dim]` for `pi/log_std`. */
  shape: number[];
  /** How it is initialised. */
  init: { kind: "orthogonal"; gain: number } | { kind: "constant"; value: number };
}

/** Number of policy outputs: `n` logits (categorical) or `dim` means (Gaussian). */
export function policyOutputSize(config: NetworkConfig): number {
  return config.head.kind === "categorical" ? config.head.n : config.head.dim;
}

/** Check a network config; throws {@link ConfigError} naming the bad parameter. */
export function validateNetworkConfig(config: NetworkConfig): void {
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!posInt(config.obsDim)) {
    throw new ConfigError(`obsDim must be a positive integer, got ${config.obsDim}`, {
      parameter: "obsDim",
    });
  }
  for (
    const [key, arr] of [["piHidden", config.piHidden], ["vfHidden", config.vfHidden]] as const
  ) {
    for (const w of arr) {
      if (!posInt(w)) {
        throw new ConfigError(`${key} widths must be positive integers, got ${w}`, {
          parameter: key,
        });
      }
    }
  }
  if (!posInt(policyOutputSize(config))) {
    throw new ConfigError("the action head needs n ≥ 1 (categorical) or dim ≥ 1 (gaussian)", {
      parameter: "head",
    });
  }
  if (config.head.kind === "gaussian" && !Number.isFinite(config.head.logStdInit)) {
    throw new ConfigError("head.logStdInit must be finite", { parameter: "head.logStdInit" });
  }
  const opt = config.optimizer;
  if (!(opt.eps > 0)) {
    throw new ConfigError(`optimizer eps must be > 0, got ${opt.eps}`, {
      parameter: "optimizer.eps",
    });
  }
}

/**
 * The weight tensors of a network, in the canonical order: policy layers, policy head,
 * `pi/log_std` (Gaussian), then value layers and value head (with a critic).
 */
export function tensorSpecs(config: NetworkConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const mlp = (prefix: string, hidden: number[], outSize: number, headGain: number) => {
    let inSize = config.obsDim;
    hidden.forEach((w, i) => {
      specs.push({
        name: `${prefix}/dense_${i}/kernel`,
        shape: [inSize, w],
        init: { kind: "orthogonal", gain: INIT_GAINS.hidden },
      });
      specs.push({
        name: `${prefix}/dense_${i}/bias`,
        shape: [w],
        init: { kind: "constant", value: 0 },
      });
      inSize = w;
    });
    specs.push({
      name: `${prefix}/head/kernel`,
      shape: [inSize, outSize],
      init: { kind: "orthogonal", gain: headGain },
    });
    specs.push({
      name: `${prefix}/head/bias`,
      shape: [outSize],
      init: { kind: "constant", value: 0 },
    });
  };
  mlp("pi", config.piHidden, policyOutputSize(config), INIT_GAINS.policyHead);
  if (config.head.kind === "gaussian") {
    specs.push({
      name: "pi/log_std",
      shape: [config.head.dim],
      init: { kind: "constant", value: config.head.logStdInit },
    });
  }
  if (config.critic) mlp("vf", config.vfHidden, 1, INIT_GAINS.valueHead);
  return specs;
}

/**
 * A `[rows, cols]` row-major matrix with orthonormal columns (rows ≥ cols) or orthonormal
 * rows (rows < cols), scaled by `options.gain` (default 1), from standard normals drawn from
 * `rng`.
 */
export function orthogonalMatrix(
  shape: [number, number],
  rng: Rng,
  options: { gain?: number } = {},
): Float64Array {
  const [rows, cols] = shape;
  const gain = options.gain ?? 1;
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = new Float64Array(m * n); // m × n, row-major
  for (let i = 0; i < m * n; i++) a[i] = rng.normal();
  // Modified Gram–Schmidt on the columns, twice ("twice is enough").
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
        for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new RangeError("orthogonalMatrix: degenerate normal draw");
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const out = new Float64Array(rows * cols);
  if (rows >= cols) {
    for (let i = 0; i < rows * cols; i++) out[i] = a[i] * gain;
  } else {
    // a is cols × rows with orthonormal columns; the kernel is its transpose.
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = a[c * rows + r] * gain;
    }
  }
  return out;
}

/**
 * Initial weights of a network: orthogonal kernels (gain √2 hidden, 0.01 policy head, 1 value
 * head), zero biases, `log_std = logStdInit`. Both engines call this with `new Rng(seed)`.
 */
export function initNetwork(config: NetworkConfig, rng: Rng): NamedTensor[] {
  validateNetworkConfig(config);
  return tensorSpecs(config).map((s) => {
    let data: Float64Array;
    if (s.init.kind === "orthogonal") {
      data = orthogonalMatrix([s.shape[0], s.shape[1]], rng, { gain: s.init.gain });
    } else {
      data = new Float64Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init.value);
    }
    return { name: s.name, shape: [...s.shape], data };
  });
}
