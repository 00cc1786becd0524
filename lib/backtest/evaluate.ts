/**
 * THE episode loop: a {@link Policy} acting on an {@link Env} until the episode ends. Every
 * place that runs a policy over an env goes through {@link runEpisode}: validation during
 * training and best-model selection ({@link evaluatePolicy}, used by lib/experiment's
 * callbacks), `backtest()` (equity, positions, trades, reward components) and the notebooks.
 * So the validation Sharpe that picks a best model and the Sharpe a notebook compares come
 * from the same loop.
 *
 * Growth points: {@link EpisodeOptions} is an options object meant to gain fields (action
 * smoothing, ruin rule), and {@link EpisodeHooks} is the per-step hook point: `beforeStep`
 * sees every chosen action and may replace it, `afterStep` sees every step's result. The loop
 * itself allocates nothing per step (an intervention of the guards allocates its event).
 *
 * ## Guardrails (`risk`, `exits`)
 * `risk: "spec"` / `exits: "spec"` (or partial configs, see {@link EnvGuards}) put ANY policy
 * under the risk manager and the exit ladder of `lib/risk`: the loop wraps the env with
 * {@link guardEnv} — the same guarded env an agent trains in when its run config sets them —
 * so a denied entry, a partial take-profit and a stop go through the env's one accounting, in
 * the one loop. (A `beforeStep` hook could only swap the action: it cannot fill a partial
 * take-profit or see the closed trade that feeds the loss streak without a second copy of the
 * account logic.) Every intervention is a {@link RiskEvent} `{ timeMs, rule, reason, numbers }`
 * in {@link EpisodeResult.riskEvents}, also for an env that was built guarded. The hooks see
 * the action the env TOOK (e.g. EXIT when the ladder closed the position, HOLD for a denied
 * entry), not the policy's request.
 *
 * @module
 */
import {
  type Env,
  type EnvGuards,
  GuardedFuturesEnv,
  guardEnv,
  hasGuards,
  type Info,
  type Policy,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from "../env/mod.ts";
import type { RiskEvent } from "../risk/mod.ts";
import { holdAfterRuin, sharpeRatio, simpleReturns, sortinoRatio } from "../metrics/mod.ts";
import { smoothPolicy } from "../agents/mod.ts";

/** Per-step hooks of {@link runEpisode}. */
export interface EpisodeHooks {
  /** Called once after `env.reset` with the reset's result (e.g. to record the start). */
  afterReset?(result: ResetResult): void;
  /**
   * Called after the policy chose `action` for step `step` (0-based), before the env steps.
   * Return a number to take that action instead (e.g. a risk guard or an exit rule), or
   * undefined to keep the policy's. Discrete envs only pass a number; Box envs pass the
   * clipped action vector (modify it in place).
   */
  beforeStep?(step: number, action: number | Float64Array): number | void;
  /** Called after the env stepped (`step` is 0-based; `action` is the action taken). */
  afterStep?(step: number, action: number | Float64Array, result: StepResult): void;
}

/**
 * Options of {@link runEpisode}. The guardrail fields of {@link EnvGuards} (`risk`, `exits`,
 * `exitGainBasis`, `context`, `flattenOnHalt`) are plain fields here, so any options object
 * that is forwarded to the loop (a backtest's, an evaluation's) carries them.
 */
export interface EpisodeOptions extends EnvGuards {
  /** Reset arguments (env-specific; e.g. the seed). Default `{ seed: 0 }`. */
  reset?: ResetOptions;
  /** Act deterministically (mode / argmax). Default true. */
  deterministic?: boolean;
  /**
   * Pass the env's action masks to the policy (as training does, so a masked policy picks
   * its best VALID action). Default true when the env is discrete and has `actionMask`.
   */
  useMasks?: boolean;
  /** Stop after this many steps. Default: until the env ends the episode. */
  maxSteps?: number;
  /** Per-step hooks. */
  hooks?: EpisodeHooks;
  /**
   * EMA smoothing of the policy's output (the specification's prediction smoothing), weight
   * α ∈ (0, 1] of the newest output: Box actions are averaged, a trained discrete model's
   * logits are (`smoothPolicy` in lib/agents). Default: none.
   */
  smoothing?: number;
}

/** What {@link runEpisode} returns (per-step data is collected by hooks). */
export interface EpisodeResult {
  /** Steps taken. */
  steps: number;
  /** Sum of the rewards (env reward units, undiscounted). */
  totalReward: number;
  /** The episode ended by a real end (ruin, liquidation). */
  terminated: boolean;
  /** The episode ended by the end of the data window. */
  truncated: boolean;
  /** `info` of the reset. */
  resetInfo: Info;
  /** `info` of the last step (the reset's when no step was taken). */
  lastInfo: Info;
  /** Interventions of the guards, in time order (empty without guards). */
  riskEvents: RiskEvent[];
}

/** Counts of events by rule, e.g. `{ daily_loss: 3, tp1: 12 }`. */
export function countByRule(events: readonly RiskEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.rule] = (out[e.rule] ?? 0) + 1;
  return out;
}

function collect(info: Info, into: RiskEvent[]): void {
  const ev = (info as { riskEvents?: readonly RiskEvent[] }).riskEvents;
  if (ev !== undefined && ev.length > 0) { for (let i = 0; i < ev.length; i++) into.push(ev[i]); }
}

/**
 * Run `policy` on `env` for one episode: `policy.reset()`, `env.reset(options.reset)`, then
 * act → (hook) → step → (hook) until terminated, truncated or `maxSteps`. Box actions are
 * clipped to the space's bounds before stepping. With `risk` / `exits` the env is wrapped by
 * {@link guardEnv} first (see the module docs).
 */
export function runEpisode(
  rawPolicy: Policy,
  inner: Env,
  options: EpisodeOptions = {},
): EpisodeResult {
  const env = hasGuards(options) ? guardEnv(inner, options) : inner;
  const takenAction = env instanceof GuardedFuturesEnv;
  const events: RiskEvent[] = [];
  const policy = options.smoothing === undefined
    ? rawPolicy
    : smoothPolicy(rawPolicy, env.actionSpace, options.smoothing);
  const deterministic = options.deterministic ?? true;
  const maxSteps = options.maxSteps ?? Infinity;
  const hooks = options.hooks;
  const space = env.actionSpace;
  const masks = space.kind === "discrete" && (options.useMasks ?? true) && env.actionMask
    ? new Uint8Array(space.n)
    : undefined;
  const boxAction = space.kind === "box" ? new Float64Array(space.size) : null;
  policy.reset?.();
  const first = env.reset(options.reset ?? { seed: 0 });
  collect(first.info, events);
  hooks?.afterReset?.(first);
  const obs = new Float64Array(first.observation.length);
  obs.set(first.observation);
  let lastInfo = first.info;
  let total = 0;
  let n = 0;
  let terminated = false;
  let truncated = false;
  while (n < maxSteps) {
    if (masks) env.actionMask!(masks);
    const out = policy.act(obs, { deterministic, masks });
    let res: StepResult;
    if (boxAction && space.kind === "box") {
      for (let k = 0; k < space.size; k++) {
        const v = out.actions[k];
        boxAction[k] = v < space.low[k] ? space.low[k] : v > space.high[k] ? space.high[k] : v;
      }
      hooks?.beforeStep?.(n, boxAction);
      res = env.step(boxAction);
      hooks?.afterStep?.(n, boxAction, res);
    } else {
      let a = out.actions[0];
      const replaced = hooks?.beforeStep?.(n, a);
      if (typeof replaced === "number") a = replaced;
      res = env.step(a);
      if (takenAction) a = (res.info as { action: number }).action;
      hooks?.afterStep?.(n, a, res);
    }
    collect(res.info, events);
    n++;
    total += res.reward;
    lastInfo = res.info;
    if (res.terminated || res.truncated) {
      terminated = res.terminated;
      truncated = res.truncated;
      break;
    }
    obs.set(res.observation);
  }
  return {
    steps: n,
    totalReward: total,
    terminated,
    truncated,
    resetInfo: first.info,
    lastInfo,
    riskEvents: events,
  };
}

/** Result of {@link evaluatePolicy}. */
export interface EvaluationResult {
  /** Episodes run. */
  episodes: number;
  /** Mean undiscounted episode return (env reward units). */
  meanReturn: number;
  /** Standard deviation of the episode returns (population). */
  stdReturn: number;
  /** Each episode's return. */
  returns: number[];
  /** Each episode's length (steps). */
  lengths: number[];
  /**
   * Annualised Sharpe ratio of the per-bar equity returns of the first episode (needs
   * `info.equity` and `periodsPerYear`), or null (no equity, too short, or zero variance,
   * e.g. a policy that never trades).
   */
  sharpe: number | null;
  /**
   * Annualised Sortino ratio of the first episode's per-bar equity returns (same curve as
   * {@link sharpe}), or null (no equity, too short, no losing bar).
   */
  sortino?: number | null;
  /**
   * Fraction of the first episode's bars (over the whole window, ruin rule applied) that ended
   * with an open position (`info.position` ≠ 0), or null when the env does not report it.
   */
  exposure?: number | null;
  /** Equity at the end of the first episode (if the env reports `info.equity`), else null. */
  finalEquity: number | null;
  /**
   * Total return of the first episode as a FRACTION (final / initial equity − 1), or null
   * when the env reports no `info.equity`.
   */
  totalReturn?: number | null;
  /**
   * Trades closed in the first episode (the env's `info.totalTrades` at its end, including
   * the close at the episode end), or null when the env does not report it.
   */
  trades?: number | null;
  /** Interventions of the guards in the first episode, by rule (empty without guards). */
  riskCounts?: Record<string, number>;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Options of {@link evaluatePolicy}; the {@link EnvGuards} fields guard every episode. */
export interface EvaluateOptions extends EnvGuards {
  /** Episodes (default 1: trading evaluation envs cover the whole split). */
  episodes?: number;
  /** Seed of the first reset (episode i uses seed + i). Default 0. */
  seed?: number;
  /** Bars per year for the Sharpe ratio (e.g. `periodsPerYear("1h", "crypto")` = 8760). */
  periodsPerYear?: number;
  /** Safety cap on steps per episode. Default 10,000,000. */
  maxSteps?: number;
  /** Act deterministically (default true). */
  deterministic?: boolean;
  /** EMA smoothing α of the policy's output (see {@link EpisodeOptions.smoothing}). */
  smoothing?: number;
  /** Pass the env's action masks to the policy (default true when the env has masks). */
  useMasks?: boolean;
}

/**
 * Run `policy` on `env` for whole episodes ({@link runEpisode}, deterministic by default) and
 * summarise returns and, for trading envs reporting `info.equity`, the first episode's
 * Sharpe ratio, final equity, total return and closed trades.
 */
export function evaluatePolicy(
  env: Env,
  policy: Policy,
  options: EvaluateOptions = {},
): EvaluationResult {
  const t0 = performance.now();
  const episodes = options.episodes ?? 1;
  const seed = options.seed ?? 0;
  const returns: number[] = [];
  const lengths: number[] = [];
  let sharpe: number | null = null;
  let finalEquity: number | null = null;
  let totalReturn: number | null = null;
  let trades: number | null = null;
  let riskCounts: Record<string, number> = {};
  let sortino: number | null = null;
  let exposure: number | null = null;
  let inPosition = 0;
  let hasPosition = false;
  const equity: number[] = [];
  const hooks: EpisodeHooks = {
    afterReset: (r) => {
      const eq0 = (r.info as { equity?: unknown }).equity;
      if (typeof eq0 === "number") equity.push(eq0);
    },
    afterStep: (_n, _a, res) => {
      const eq = (res.info as { equity?: unknown }).equity;
      if (typeof eq === "number" && equity.length > 0) equity.push(eq);
      const p = (res.info as { position?: unknown }).position;
      if (typeof p === "number") {
        hasPosition = true;
        if (p !== 0) inPosition++;
      }
    },
  };
  for (let ep = 0; ep < episodes; ep++) {
    equity.length = 0;
    inPosition = 0;
    const r = runEpisode(policy, env, {
      reset: { seed: seed + ep },
      deterministic: options.deterministic ?? true,
      useMasks: options.useMasks,
      maxSteps: options.maxSteps ?? 10_000_000,
      hooks,
      risk: options.risk,
      exits: options.exits,
      exitGainBasis: options.exitGainBasis,
      context: options.context,
      flattenOnHalt: options.flattenOnHalt,
      smoothing: options.smoothing,
    });
    if (ep === 0) riskCounts = countByRule(r.riskEvents);
    returns.push(r.totalReward);
    lengths.push(r.steps);
    if (ep === 0 && (r.terminated || r.truncated)) {
      const n = (r.lastInfo as { totalTrades?: unknown }).totalTrades;
      if (typeof n === "number") trades = n;
    }
    if (ep === 0 && equity.length > 0) {
      finalEquity = equity[equity.length - 1];
      totalReturn = equity[0] > 0 ? finalEquity / equity[0] - 1 : null;
      // the ruin rule (lib/metrics RUIN_RULE): an early end is held flat to the window's end
      const w = env as { episodeEnd?: unknown; bar?: unknown };
      const rest = r.terminated && typeof w.episodeEnd === "number" && typeof w.bar === "number"
        ? Math.max(0, w.episodeEnd - w.bar)
        : 0;
      const curve = rest > 0 ? holdAfterRuin(equity, equity.length + rest) : equity;
      if (options.periodsPerYear && curve.length > 2) {
        const rets = simpleReturns(curve);
        sharpe = sharpeRatio(rets, options.periodsPerYear);
        sortino = sortinoRatio(rets, options.periodsPerYear);
      }
      if (hasPosition && curve.length > 1) exposure = inPosition / (curve.length - 1);
    }
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length;
  return {
    episodes,
    meanReturn: mean,
    stdReturn: Math.sqrt(variance),
    returns,
    lengths,
    sharpe,
    sortino,
    exposure,
    finalEquity,
    totalReturn,
    trades,
    riskCounts,
    seconds: (performance.now() - t0) / 1000,
  };
}
