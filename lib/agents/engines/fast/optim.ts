/**
 * Optimisers of the fast engine on flat Float64Array parameters, with PyTorch semantics (the
 * reference implementations used by Stable-Baselines3 and CleanRL):
 *
 * - Adam (`torch.optim.Adam`): m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + eps). Note eps is added AFTER the bias
 *   correction of √v, as torch does.
 * - RMSprop (`torch.optim.RMSprop`, non-centred, no momentum, which is what SB3's A2C builds
 *   with `alpha=0.99, eps=rms_prop_eps (1e-5), weight_decay=0`): v ← αv + (1−α)g²;
 *   p ← p − lr · g / (√v + eps). eps is OUTSIDE the square root (TensorFlow, and SB3's
 *   optional `RMSpropTFLike`, put it inside and start v at 1 — we do not).
 * - Global gradient-norm clipping (`torch.nn.utils.clip_grad_norm_`): scale all gradients by
 *   maxNorm / (‖g‖₂ + 1e−6) when that factor is < 1.
 *
 * @module
 */

/** Global L2 norm of `g`; if it exceeds `maxNorm`, scales `g` in place (torch semantics). Returns the norm before clipping. */
export function clipGradNorm(g: Float64Array, maxNorm: number): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  const norm = Math.sqrt(s);
  if (Number.isFinite(maxNorm)) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) { for (let i = 0; i < g.length; i++) g[i] *= coef; }
  }
  return norm;
}

/** A first-order optimiser over one flat parameter array. */
export interface FlatOptimizer {
  readonly kind: "adam" | "rmsprop";
  /** Number of steps taken. */
  step: number;
  /** Apply one step with learning rate `lr` (per step, not annealed here). */
  apply(params: Float64Array, grads: Float64Array, lr: number): void;
  /** State buffers by short name (`m`, `v` for Adam; `square_avg` for RMSprop). */
  buffers(): Record<string, Float64Array>;
}

/** Adam with torch's bias correction. */
export class Adam implements FlatOptimizer {
  readonly kind = "adam" as const;
  step = 0;
  readonly m: Float64Array;
  readonly v: Float64Array;
  /** @param size number of parameters */
  constructor(size: number, readonly eps: number, readonly beta1 = 0.9, readonly beta2 = 0.999) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  apply(params: Float64Array, grads: Float64Array, lr: number): void {
    this.step++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const bc1 = 1 - Math.pow(b1, this.step);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, this.step));
    const stepSize = lr / bc1;
    const eps = this.eps;
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = b1 * m[i] + (1 - b1) * g;
      const vi = b2 * v[i] + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] -= stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }
  buffers(): Record<string, Float64Array> {
    return { m: this.m, v: this.v };
  }
}

/** RMSprop, torch semantics (eps outside the square root, v starts at 0). */
export class RmsProp implements FlatOptimizer {
  readonly kind = "rmsprop" as const;
  step = 0;
  readonly squareAvg: Float64Array;
  /** @param size number of parameters */
  constructor(size: number, readonly alpha: number, readonly eps: number) {
    this.squareAvg = new Float64Array(size);
  }
  apply(params: Float64Array, grads: Float64Array, lr: number): void {
    this.step++;
    const a = this.alpha;
    const eps = this.eps;
    const v = this.squareAvg;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const vi = a * v[i] + (1 - a) * g * g;
      v[i] = vi;
      params[i] -= lr * g / (Math.sqrt(vi) + eps);
    }
  }
  buffers(): Record<string, Float64Array> {
    return { square_avg: this.squareAvg };
  }
}
