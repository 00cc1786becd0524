/**
 * An options-env episode recorded step by step through THE episode loop ({@link runEpisode}):
 * the underlying, the held option's premium and Greeks, the action and side, equity and the
 * five reward terms, plus the episode's trade and whipsaw counts. What notebook 09 plots and
 * what the smoothing comparison counts.
 *
 * @module
 */
import type { OptionsEnvInfo, OptionsTradingEnv, Policy } from "../env/mod.ts";
import { type EpisodeOptions, runEpisode } from "./evaluate.ts";

/** Per-step record of an options episode (index = step; entry 0 of `equity` is the reset). */
export interface OptionsEpisode {
  /** Report name (the policy's, `+ema` when smoothed). */
  name: string;
  /** Steps taken. */
  steps: number;
  /** Bar open time of the observation after each step, UTC ms. */
  time: Float64Array;
  /** Underlying close after each step. */
  price: Float64Array;
  /** The action taken (after smoothing and clipping). */
  action: Float64Array;
  /** Side held after each step: −1 put, 0 flat, 1 call. */
  position: Float64Array;
  /** Mid premium per share of the held option after each step (0 flat). */
  premium: Float64Array;
  /** Greeks per share after each step (0 flat): delta, gamma, vega per 1.00 vol, theta per yr. */
  delta: Float64Array;
  gamma: Float64Array;
  vega: Float64Array;
  theta: Float64Array;
  /** Equity, USD: reset value then after each step (length steps + 1). */
  equity: Float64Array;
  /** Bar open time of each `equity` entry (the reset's bar, then `time`), UTC ms. */
  equityTime: Float64Array;
  /** Reward terms per step (env units) and their sum. */
  rewardPnl: Float64Array;
  rewardDirection: Float64Array;
  rewardWhipsaw: Float64Array;
  rewardEarlyExit: Float64Array;
  rewardTimeDecay: Float64Array;
  reward: Float64Array;
  /** Closed trades (including forced exits). */
  trades: number;
  /** Action exits within the whipsaw window (see the options reward docs). */
  whipsaws: number;
  /** Entries denied by the risk lockouts. */
  riskBlocked: number;
  /** Final / initial equity − 1 (fraction). */
  totalReturn: number;
}

/** Options of {@link optionsEpisode}: the episode loop's (reset, determinism, smoothing, …). */
export type OptionsEpisodeOptions = Omit<EpisodeOptions, "hooks">;

/**
 * Run `policy` over `env` (an evaluation env: the whole split) through {@link runEpisode} and
 * record every step (see {@link OptionsEpisode}).
 */
export function optionsEpisode(
  policy: Policy,
  env: OptionsTradingEnv,
  options: OptionsEpisodeOptions = {},
): OptionsEpisode {
  const cap = env.episodeLength ?? env.lastBar - env.firstBar + 1;
  const f = () => new Float64Array(cap);
  const rec = {
    time: f(),
    price: f(),
    action: f(),
    position: f(),
    premium: f(),
    delta: f(),
    gamma: f(),
    vega: f(),
    theta: f(),
    rewardPnl: f(),
    rewardDirection: f(),
    rewardWhipsaw: f(),
    rewardEarlyExit: f(),
    rewardTimeDecay: f(),
    reward: f(),
  };
  const equity = new Float64Array(cap + 1);
  const equityTime = new Float64Array(cap + 1);
  let whipsaws = 0;
  let blocked = 0;
  const r = runEpisode(policy, env, {
    ...options,
    hooks: {
      afterReset: (res) => {
        equity[0] = (res.info as OptionsEnvInfo).equity;
        equityTime[0] = (res.info as OptionsEnvInfo).time;
      },
      afterStep: (n, action, res) => {
        const i = res.info as OptionsEnvInfo;
        rec.time[n] = i.time;
        rec.price[n] = i.price;
        rec.action[n] = typeof action === "number" ? action : action[0];
        rec.position[n] = i.position;
        rec.premium[n] = i.mid;
        rec.delta[n] = i.delta;
        rec.gamma[n] = i.gamma;
        rec.vega[n] = i.vega;
        rec.theta[n] = i.theta;
        rec.rewardPnl[n] = i.rewardPnl;
        rec.rewardDirection[n] = i.rewardDirection;
        rec.rewardWhipsaw[n] = i.rewardWhipsaw;
        rec.rewardEarlyExit[n] = i.rewardEarlyExit;
        rec.rewardTimeDecay[n] = i.rewardTimeDecay;
        rec.reward[n] = i.reward;
        equity[n + 1] = i.equity;
        equityTime[n + 1] = i.time;
        whipsaws += i.whipsaw;
        blocked += i.riskBlocked;
      },
    },
  });
  const n = r.steps;
  const cut = <T extends Record<string, Float64Array>>(o: T): T =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.slice(0, n)])) as T;
  const last = r.lastInfo as OptionsEnvInfo;
  return {
    name: options.smoothing !== undefined ? `${policy.name}+ema` : policy.name,
    steps: n,
    ...cut(rec),
    equity: equity.slice(0, n + 1),
    equityTime: equityTime.slice(0, n + 1),
    trades: last.totalTrades,
    whipsaws,
    riskBlocked: blocked,
    totalReturn: equity[0] > 0 ? equity[n] / equity[0] - 1 : 0,
  };
}
