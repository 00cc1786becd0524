/**
 * Run any {@link Policy} through a trading env — the same env and accounting the RL agents
 * train in — over a whole split, deterministically, and collect everything a report needs.
 *
 * Timing convention (the env's): the observation at step t is built from bar t's close; the
 * action fills at bar t's close (plus slippage); the step ends marked at bar t + 1. So
 * `equity[0]` is the capital at the first decision and `equity[t + 1]` the equity after the
 * action decided on `time[t]`.
 *
 * Both envs: the futures env (Discrete actions, read through its account) and the options env
 * (`Box(−1, 1)` action; position, side and underlying price read from its step info): for
 * the options env `position` is side × contracts (+ calls, − puts), `price` the underlying's
 * close, `actions` the side the env targeted ({@link OPTIONS_ACTION_LABELS}) and the traded
 * notional the premium bought and sold.
 *
 * @module
 */
import {
  Action,
  ACTION_LABELS,
  type Env,
  type Info,
  type OptionsEnvInfo,
  type Policy,
  type ResetOptions,
} from "../env/mod.ts";
import { ExitCode } from "../trading/mod.ts";
import { countByRule, type EpisodeOptions, runEpisode } from "./evaluate.ts";
import type { RiskEvent } from "../risk/mod.ts";
import {
  computePerformance,
  holdAfterRuin,
  type PerformanceMetrics,
  type TradeRecord,
} from "../metrics/mod.ts";
import { ConfigError, EnvError } from "../util/mod.ts";

/** The read-only account state a backtest samples after every step (lib/trading's `Account`). */
export interface AccountView {
  /** −1 short, 0 flat, 1 long. */
  readonly direction: number;
  /** Position size, contracts ≥ 0. */
  readonly size: number;
  /** Marked-to-market equity, quote currency. */
  readonly equity: number;
  /** Current mark price. */
  readonly markPrice: number;
  /** Open time of the current bar, UTC ms. */
  readonly time: number;
  /** Index of the current bar. */
  readonly bar: number;
  /** Cumulative fees paid, quote currency. */
  readonly feesPaid: number;
  /** Cumulative funding paid, quote currency (negative = received). */
  readonly fundingPaid: number;
  /** The closed trades. */
  readonly ledger: { trades(): TradeRecord[] };
}

/** Labels of the codes in {@link BacktestResult.actions} for the options env (target side). */
export const OPTIONS_ACTION_LABELS: readonly string[] = Object.freeze(["FLAT", "CALL", "PUT"]);

/** An env that trades through an account the backtest can read. */
export interface TradingEnvLike extends Env<number | Float64Array> {
  /** The account the env trades through. */
  readonly account: AccountView;
  /**
   * Last bar of the evaluation window (inclusive), with {@link barTime} and {@link barClose}:
   * what the ruin rule needs to hold a ruined curve flat to the window's end. Envs without
   * them end the curve at the ruin.
   */
  readonly episodeEnd?: number;
  /** Open time of a bar, UTC ms. */
  barTime?(bar: number): number;
  /** Close of a bar (quote currency). */
  barClose?(bar: number): number;
}

/**
 * Options of {@link backtest}. The guardrails (`risk`, `exits`, … of `EnvGuards`) are plain
 * fields forwarded to {@link runEpisode}: `{ risk: "spec", exits: "spec" }` runs the policy
 * under the risk manager and the exit ladder.
 */
export interface BacktestOptions
  extends Pick<EpisodeOptions, "risk" | "exits" | "exitGainBasis" | "context" | "flattenOnHalt"> {
  /**
   * Bars per year for the metrics: `periodsPerYear(interval, calendar)` from lib/util.
   * Required — there is no silent default.
   */
  periodsPerYear: number;
  /** Bar length in ms (for durations). Default: taken from the first two bar times. */
  intervalMs?: number;
  /**
   * Reset arguments that put the env in evaluation mode over the whole split from its first
   * valid row (env-specific). Default `{ seed: 0 }`.
   */
  reset?: ResetOptions;
  /** Act deterministically (argmax). Default true. */
  deterministic?: boolean;
  /**
   * Pass the env's action masks to the policy (as training and the agents' evaluation do, so
   * a masked policy picks its best VALID action). Default true when the env has
   * `actionMask`.
   */
  useMasks?: boolean;
  /** Stop after this many steps (default: until the env ends the episode). */
  maxSteps?: number;
  /**
   * Extract per-step reward components from the step `info`. Default:
   * {@link defaultRewardComponents}.
   */
  rewardComponents?: (info: Info) => Record<string, number> | undefined;
  /** Name in reports. Default: the policy's name. */
  name?: string;
  /** EMA smoothing α of the policy's output (see `EpisodeOptions.smoothing`). */
  smoothing?: number;
}

/** Everything a backtest produced. Arrays indexed by step unless noted. */
export interface BacktestResult {
  /** Report name. */
  name: string;
  /** Number of steps (decisions) N. */
  steps: number;
  /** Bar open time, UTC ms: `time[0]` is the first decision bar, `time[t+1]` the bar after step t (N + 1). */
  time: Float64Array;
  /** Bar index in the env's data, aligned with {@link time} (N + 1). */
  bar: Float64Array;
  /** Equity marked at {@link time}, quote currency (N + 1); `equity[0]` = starting capital. */
  equity: Float64Array;
  /** Signed position (contracts; + long, − short) held at {@link time} (N + 1). */
  position: Float64Array;
  /** Mark price at {@link time} (N + 1). */
  price: Float64Array;
  /**
   * Action taken at step t (N): the futures env's action id, or the options env's target
   * side as a code of {@link OPTIONS_ACTION_LABELS} (0 flat, 1 call, 2 put).
   */
  actions: Uint8Array;
  /** Labels of the action codes when they are not the futures env's `ACTION_LABELS`. */
  actionLabels?: readonly string[];
  /** Reward of step t (N). */
  rewards: Float64Array;
  /** Per-term reward of step t, by term name (each N). */
  rewardComponents: Record<string, Float64Array>;
  /** Closed trades, in order. */
  trades: TradeRecord[];
  /** Count of each action (index = action id). */
  actionCounts: number[];
  /** Cumulative fees paid (quote). */
  feesPaid: number;
  /** Cumulative funding paid (quote, negative = received). */
  fundingPaid: number;
  /** Σ |Δ position| × mark over the steps (quote): the traded notional. */
  tradedNotional: number;
  /** True when the episode ended by a real end (ruin, liquidation) before the data ran out. */
  terminated: boolean;
  /**
   * The ruin rule (`RUIN_RULE` in lib/metrics): when the episode ended early, the step count
   * of the real episode; the curves then continue to the window's end with the equity held at
   * its ruined level, no position and HOLD actions (`steps` counts those bars too), so every
   * metric, table and bootstrap sees the same whole-window curve. Null when the episode ran
   * to the end of the window.
   */
  endedAtStep?: number | null;
  /** Performance metrics (empyrical definitions, annualised with `periodsPerYear`). */
  metrics: PerformanceMetrics;
  /**
   * Interventions of the guards (denied entries, halts, take-profits, stops), in time order,
   * each `{ timeMs, rule, reason, numbers }`; empty without `risk` / `exits`.
   */
  riskEvents: RiskEvent[];
  /** {@link riskEvents} counted by rule, e.g. `{ daily_loss: 2, tp1: 9 }`. */
  riskCounts: Record<string, number>;
}

function defaultRewardComponents(info: Info): Record<string, number> | undefined {
  const c = (info.rewardComponents ?? info.reward_components) as
    | Record<string, unknown>
    | undefined;
  if (!c || typeof c !== "object") return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) if (typeof v === "number") out[k] = v;
  return out;
}

function ledgerCount(acct: AccountView): number {
  const c = (acct.ledger as { count?: unknown }).count;
  return typeof c === "number" ? c : -1;
}

function info0HasFlat(info: Info): boolean {
  return typeof info.rewardPnl === "number" && info.rewardComponents === undefined;
}

function grow(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/**
 * Run `policy` through `env` (or a fresh env from a factory) for one evaluation episode and
 * return the equity curve, positions, actions, trade ledger, reward components and metrics.
 * Deterministic: the same policy, env and options give bit-identical results (the policy's
 * `reset()` is called first; the env is reset with `options.reset`).
 */
export function backtest(
  policy: Policy,
  env: TradingEnvLike | (() => TradingEnvLike),
  options: BacktestOptions,
): BacktestResult {
  const e = typeof env === "function" ? env() : env;
  if (!(options.periodsPerYear > 0)) {
    throw new ConfigError(
      `backtest: periodsPerYear must be > 0, got ${options.periodsPerYear}`,
      { parameter: "periodsPerYear" },
      'use periodsPerYear(interval, calendar), e.g. periodsPerYear("5m", "crypto")',
    );
  }
  const box = e.actionSpace.kind === "box";
  if (box && !("episodeLength" in e && "threshold" in e)) {
    throw new EnvError(
      "backtest: a Box action space is backtested for the options env only",
      { parameter: "env" },
      "backtest a FuturesTradingEnv (Discrete) or an OptionsTradingEnv",
    );
  }
  const nActions = e.actionSpace.kind === "discrete"
    ? e.actionSpace.n
    : OPTIONS_ACTION_LABELS.length;
  const extract = options.rewardComponents ?? defaultRewardComponents;
  let flatKeys: string[] | null = null;
  let flatNames: string[] = [];

  let acct = e.account;
  let cap = 4096;
  let time = new Float64Array(cap + 1);
  let bar = new Float64Array(cap + 1);
  let equity = new Float64Array(cap + 1);
  let position = new Float64Array(cap + 1);
  let price = new Float64Array(cap + 1);
  let actions = new Uint8Array(cap);
  let held = new Uint8Array(cap);
  let rewards = new Float64Array(cap);
  const comps: Record<string, Float64Array> = {};
  const actionCounts = new Array(nActions).fill(0);
  let traded = 0;
  let posBefore = 0;
  let countBefore = 0;
  let markBefore = 0;
  // the options env: side, contracts and the underlying's close from the last info
  let oinfo: OptionsEnvInfo | null = null;
  const record = (i: number) => {
    time[i] = acct.time;
    bar[i] = acct.bar;
    equity[i] = acct.equity;
    if (oinfo) {
      position[i] = oinfo.position * oinfo.contracts;
      price[i] = oinfo.price;
    } else {
      position[i] = acct.direction * acct.size;
      price[i] = acct.markPrice;
    }
  };

  const episode = runEpisode(policy, e, {
    reset: options.reset ?? { seed: 0 },
    deterministic: options.deterministic ?? true,
    useMasks: options.useMasks ?? true,
    maxSteps: options.maxSteps ?? Infinity,
    risk: options.risk,
    exits: options.exits,
    exitGainBasis: options.exitGainBasis,
    context: options.context,
    flattenOnHalt: options.flattenOnHalt,
    smoothing: options.smoothing,
    hooks: {
      afterReset: (res) => {
        acct = e.account;
        if (box) oinfo = res.info as OptionsEnvInfo;
        record(0);
      },
      beforeStep: (n) => {
        if (n === cap) {
          cap *= 2;
          time = grow(time, cap + 1);
          bar = grow(bar, cap + 1);
          equity = grow(equity, cap + 1);
          position = grow(position, cap + 1);
          price = grow(price, cap + 1);
          const a2 = new Uint8Array(cap);
          a2.set(actions);
          actions = a2;
          const h2 = new Uint8Array(cap);
          h2.set(held);
          held = h2;
          rewards = grow(rewards, cap);
          for (const k of Object.keys(comps)) comps[k] = grow(comps[k], cap);
        }
        posBefore = acct.direction * acct.size;
        countBefore = ledgerCount(acct);
        markBefore = acct.markPrice;
      },
      afterStep: (n, action, res) => {
        if (oinfo) {
          // the options env: held over the bar when a side is open after the step or a forced
          // exit (expiry, session close, end, ruin) closed it at the bar's end
          oinfo = res.info as OptionsEnvInfo;
          const code = oinfo.target > 0 ? 1 : oinfo.target < 0 ? 2 : 0;
          held[n] = oinfo.position !== 0 ||
              (oinfo.exitReason >= 0 && oinfo.exitReason !== ExitCode.EXIT)
            ? 1
            : 0;
          actions[n] = code;
          actionCounts[code]++;
          rewards[n] = res.reward;
          const rc = extract(res.info) ?? {
            pnl: oinfo.rewardPnl,
            direction: oinfo.rewardDirection,
            whipsaw: oinfo.rewardWhipsaw,
            earlyExit: oinfo.rewardEarlyExit,
            timeDecay: oinfo.rewardTimeDecay,
          };
          for (const [k, v] of Object.entries(rc)) (comps[k] ??= new Float64Array(cap))[n] = v;
          record(n + 1);
          return;
        }
        const a = action as number;
        const posAfterFill = acct.direction * acct.size;
        // Was a position held over this bar? Yes if one is open now, or one was open before
        // and not closed at the decision close by EXIT (so it was closed by liquidation, ruin
        // or the end of the data during/after the bar), or one was opened and closed within
        // the bar.
        held[n] = posAfterFill !== 0 || (posBefore !== 0 && a !== Action.EXIT) ||
            (posBefore === 0 && (a === Action.ENTER_LONG || a === Action.ENTER_SHORT) &&
              ledgerCount(acct) > countBefore)
          ? 1
          : 0;
        // traded notional: the fill happened at the decision bar's mark
        traded += Math.abs(posAfterFill - posBefore) * markBefore;
        actions[n] = a;
        actionCounts[a]++;
        rewards[n] = res.reward;
        if (flatKeys === null && !options.rewardComponents && info0HasFlat(res.info)) {
          // fast path for the futures env's flat info.reward<Term> numbers: resolve keys once
          flatKeys = Object.keys(res.info).filter((k) =>
            k.length > 6 && k.startsWith("reward") && typeof res.info[k] === "number"
          );
          flatNames = flatKeys.map((k) => k[6].toLowerCase() + k.slice(7));
        }
        if (flatKeys) {
          for (let j = 0; j < flatKeys.length; j++) {
            (comps[flatNames[j]] ??= new Float64Array(cap))[n] = res.info[flatKeys[j]] as number;
          }
        } else {
          const rc = extract(res.info);
          if (rc) {
            for (const [k, v] of Object.entries(rc)) (comps[k] ??= new Float64Array(cap))[n] = v;
          }
        }
        record(n + 1);
      },
    },
  });
  const terminated = episode.terminated;
  let n = episode.steps;
  let endedAtStep: number | null = null;
  let eq = equity.slice(0, n + 1);
  let pos = position.slice(0, n + 1);
  let timeOut = time.slice(0, n + 1);
  let barOut = bar.slice(0, n + 1);
  let priceOut = price.slice(0, n + 1);
  let heldOut = held.slice(0, n);
  let actionsOut = actions.slice(0, n);
  let rewardsOut = rewards.slice(0, n);
  const end = e.episodeEnd;
  const lastBar = n >= 0 ? bar[n] : 0;
  if (
    terminated && typeof end === "number" && e.barTime && e.barClose && end > lastBar
  ) {
    // the ruin rule: hold the ruined equity flat, no position, to the end of the window
    endedAtStep = n;
    const total = n + (end - lastBar);
    eq = holdAfterRuin(eq, total + 1);
    pos = holdAfterRuin(pos, total + 1).fill(0, n + 1);
    const t2 = new Float64Array(total + 1);
    const b2 = new Float64Array(total + 1);
    const p2 = new Float64Array(total + 1);
    t2.set(timeOut);
    b2.set(barOut);
    p2.set(priceOut);
    for (let i = n + 1, k = lastBar + 1; i <= total; i++, k++) {
      t2[i] = e.barTime(k);
      b2[i] = k;
      p2[i] = e.barClose(k);
    }
    timeOut = t2;
    barOut = b2;
    priceOut = p2;
    const h2 = new Uint8Array(total);
    h2.set(heldOut);
    heldOut = h2;
    const a2 = new Uint8Array(total).fill(Action.HOLD);
    a2.set(actionsOut);
    actionsOut = a2;
    const r2 = new Float64Array(total);
    r2.set(rewardsOut);
    rewardsOut = r2;
    n = total;
  }
  const trades = acct.ledger.trades();
  if (box) {
    // the premium bought and sold (every options trade is closed by the episode's end)
    traded = 0;
    for (const t of trades) traded += t.size * (t.entryPrice + t.exitPrice);
  }
  const intervalMs = options.intervalMs ?? (n >= 1 ? timeOut[1] - timeOut[0] : 0);
  const rewardComponents: Record<string, Float64Array> = {};
  for (const k of Object.keys(comps)) {
    const c = new Float64Array(n);
    c.set(comps[k].subarray(0, endedAtStep ?? n));
    rewardComponents[k] = c;
  }
  const metrics = computePerformance(
    {
      equity: eq,
      // 1 where a position was held over bar t → t + 1
      position: heldOut,
      tradedNotional: traded,
      trades,
      feesPaid: acct.feesPaid,
      fundingPaid: acct.fundingPaid,
    },
    { periodsPerYear: options.periodsPerYear, intervalMs },
  );
  return {
    name: options.name ?? policy.name,
    steps: n,
    time: timeOut,
    bar: barOut,
    equity: eq,
    position: pos,
    price: priceOut,
    actions: actionsOut,
    rewards: rewardsOut,
    rewardComponents,
    trades,
    actionCounts,
    feesPaid: acct.feesPaid,
    fundingPaid: acct.fundingPaid,
    tradedNotional: traded,
    terminated,
    endedAtStep,
    metrics,
    riskEvents: episode.riskEvents,
    riskCounts: countByRule(episode.riskEvents),
    ...(box ? { actionLabels: OPTIONS_ACTION_LABELS } : {}),
  };
}

/** Action distribution of a result as `{ HOLD: 812, LONG: 14, … }`. */
export function actionDistribution(result: BacktestResult): Record<string, number> {
  const out: Record<string, number> = {};
  const labels = result.actionLabels ?? ACTION_LABELS;
  result.actionCounts.forEach((c, i) => (out[labels[i] ?? `A${i}`] = c));
  return out;
}
