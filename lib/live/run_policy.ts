/**
 * A trained run as the paper loop uses it: the model, its frozen observation normaliser, the
 * optional EMA smoothing, the action probabilities, and the run's trading configuration.
 *
 * This is the ONE place `lib/live` imports the run-loading API (`loadRun`, `SmoothedPolicy`),
 * through `@lib/agents/mod.ts`: when run loading moves (to `lib/experiment`), only this import
 * changes.
 *
 * @module
 */
import { SmoothedPolicy } from "../agents/mod.ts";
import { loadRun } from "../experiment/mod.ts";
import type { TradingConfig } from "../trading/mod.ts";
import { ConfigError } from "../util/mod.ts";

/** One decision of the policy on one observation. */
export interface PolicyDecision {
  /** The action the policy takes (after smoothing when on). */
  action: number;
  /** The raw (unsmoothed) argmax action. */
  rawAction: number;
  /** Action probabilities (softmax of the masked raw logits), fractions. */
  probs: number[];
}

/** Options of {@link loadRunPolicy}. */
export interface RunPolicyOptions {
  /** EMA weight α ∈ (0, 1] of the newest logits; undefined = no smoothing. */
  smoothing?: number;
  /** Which model of the run: `final` (default), `best`. */
  which?: "final" | "best";
}

/** A loaded run ready to decide. */
export interface RunPolicy {
  /** Agent name (the run folder's base name). */
  name: string;
  /** The run folder. */
  runDir: string;
  /** The run's `config.json` (option values by name), or `{}`. */
  config: Record<string, unknown>;
  /** Trading-rule overrides the run was trained with (`config.trading`), or `{}`. */
  trading: Partial<TradingConfig>;
  /** Observation size the model expects. */
  obsDim: number;
  /** Number of discrete actions. */
  actions: number;
  /** Decide on one observation with the given action mask (deterministic). */
  decide(obs: Float64Array, mask: Uint8Array): PolicyDecision;
  /** Forget the smoothing state. */
  reset(): void;
}

/** Load `runDir` (see {@link RunPolicyOptions}); throws ConfigError for a non-discrete run. */
export async function loadRunPolicy(
  runDir: string,
  options: RunPolicyOptions = {},
): Promise<RunPolicy> {
  const run = await loadRun(runDir, { which: options.which ?? "final" });
  const engine = run.engine;
  const head = engine.config.head;
  if (head.kind !== "categorical") {
    throw new ConfigError(`run ${runDir} has a ${head.kind} action head`, {
      parameter: "run",
    }, "the paper loop trades discrete-action (futures env) runs");
  }
  const n = head.n;
  const obsDim = engine.config.obsDim;
  const norm = run.normalizer;
  const smoothed = options.smoothing === undefined
    ? null
    : new SmoothedPolicy(engine, { alpha: options.smoothing });
  const buf = new Float64Array(obsDim);
  const config = (run.config ?? {}) as Record<string, unknown>;
  const trading =
    (typeof config.trading === "object" && config.trading !== null
      ? config.trading
      : {}) as Partial<TradingConfig>;
  const name = runDir.replace(/\/+$/, "").split("/").pop() || "run";
  return {
    name,
    runDir,
    config,
    trading,
    obsDim,
    actions: n,
    decide(obs: Float64Array, mask: Uint8Array): PolicyDecision {
      const x = norm ? norm.normalizeObs(obs, 1, buf, false) : obs;
      const logits = engine.policyOutput(x, 1);
      let max = -Infinity;
      let raw = 0;
      for (let j = 0; j < n; j++) {
        if (mask[j] && logits[j] > max) {
          max = logits[j];
          raw = j;
        }
      }
      let sum = 0;
      const probs = new Array<number>(n).fill(0);
      for (let j = 0; j < n; j++) if (mask[j]) sum += probs[j] = Math.exp(logits[j] - max);
      for (let j = 0; j < n; j++) probs[j] /= sum;
      let action = raw;
      if (smoothed) {
        action = smoothed.act(x, { deterministic: true, masks: mask }).actions[0];
      } else {
        // the same call the backtest makes (engine's deterministic act with masks)
        action = engine.act(x, { deterministic: true, masks: mask }).actions[0];
      }
      return { action, rawAction: raw, probs };
    },
    reset(): void {
      smoothed?.reset();
      engine.reset?.();
    },
  };
}
