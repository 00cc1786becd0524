/**
 * Buy & hold 1×: the asset itself, not a leveraged position. A user reads "buy & hold" as
 * "I bought the coin and kept it", so this reference buys with the whole starting equity at
 * the window's first decision bar (one taker fill with the env's fee rate and slippage), marks
 * the holding at every close, and sells at the last bar (fee and slippage again). No
 * leverage, no funding (a spot holding pays none), no liquidation. The bars, times and prices
 * are the env's own over the same window, taken from an always-flat run through the one
 * episode loop, so every reference is measured on exactly the same bars.
 *
 * (`BuyAndHoldPolicy` through the env is a different thing: the env sizes its entry by the
 * risk rule, up to equity × leverage × maxNotionalFraction — 2.5× by default.)
 *
 * @module
 */
import { computePerformance, type TradeRecord } from "../metrics/mod.ts";
import { ConfigError } from "../util/mod.ts";
import {
  backtest,
  type BacktestOptions,
  type BacktestResult,
  type TradingEnvLike,
} from "./backtest.ts";
import { AlwaysFlatPolicy } from "./policies.ts";

/** Report name of {@link buyAndHold1x}. */
export const BUY_AND_HOLD_1X_NAME = "buy & hold (1×)";

/** Costs of {@link buyAndHold1x}; default: the env account's `feeRate` and `slippage`. */
export interface BuyAndHoldCosts {
  /** Taker fee per fill, fraction of notional. */
  feeRate?: number;
  /** Slippage per fill, fraction of price, against the buyer/seller. */
  slippage?: number;
}

function accountCosts(env: TradingEnvLike): { feeRate: number; slippage: number } {
  const c = (env.account as { config?: { feeRate?: unknown; slippage?: unknown } }).config;
  const feeRate = typeof c?.feeRate === "number" ? c.feeRate : 0;
  const slippage = typeof c?.slippage === "number" ? c.slippage : 0;
  return { feeRate, slippage };
}

/**
 * Backtest buying the asset 1× with the whole starting equity on the env's evaluation window
 * (see the module docs). `options` are the backtest's (periodsPerYear required); the result
 * has one trade (long, `end_of_data`), exposure 1 and `group`-style name
 * {@link BUY_AND_HOLD_1X_NAME}.
 */
export function buyAndHold1x(
  env: TradingEnvLike | (() => TradingEnvLike),
  options: BacktestOptions & { costs?: BuyAndHoldCosts },
): BacktestResult {
  const e = typeof env === "function" ? env() : env;
  const flat = backtest(new AlwaysFlatPolicy(), e, { ...options, name: BUY_AND_HOLD_1X_NAME });
  const n = flat.steps;
  const p = flat.price;
  const costs = { ...accountCosts(e), ...options.costs };
  if (!(costs.feeRate >= 0) || !(costs.slippage >= 0)) {
    throw new ConfigError("buy & hold costs must be ≥ 0", { parameter: "costs" });
  }
  const e0 = flat.equity[0];
  if (!(p[0] > 0)) {
    throw new ConfigError(`buy & hold: first price is ${p[0]}`, { parameter: "price" });
  }
  const entry = p[0] * (1 + costs.slippage);
  const qty = e0 / (entry * (1 + costs.feeRate));
  const entryFee = qty * entry * costs.feeRate;
  const equity = new Float64Array(n + 1);
  const position = new Float64Array(n + 1);
  for (let t = 0; t <= n; t++) {
    equity[t] = qty * p[t];
    position[t] = qty;
  }
  equity[0] = e0;
  const exit = p[n] * (1 - costs.slippage);
  const exitFee = qty * exit * costs.feeRate;
  equity[n] = qty * exit - exitFee;
  position[n] = 0;
  const trade: TradeRecord = {
    side: 1,
    entryBar: flat.bar[0],
    exitBar: flat.bar[n],
    entryTime: flat.time[0],
    exitTime: flat.time[n],
    entryPrice: entry,
    exitPrice: exit,
    size: qty,
    pnl: equity[n] - e0,
    fees: entryFee + exitFee,
    funding: 0,
    exitReason: "end_of_data",
  };
  const held = new Uint8Array(n).fill(1);
  const intervalMs = options.intervalMs ?? (n >= 1 ? flat.time[1] - flat.time[0] : 0);
  const tradedNotional = qty * entry + qty * exit;
  const actions = new Uint8Array(n);
  const actionCounts = flat.actionCounts.map(() => 0);
  return {
    ...flat,
    name: options.name ?? BUY_AND_HOLD_1X_NAME,
    equity,
    position,
    actions,
    rewards: new Float64Array(n),
    rewardComponents: {},
    trades: [trade],
    actionCounts,
    feesPaid: entryFee + exitFee,
    fundingPaid: 0,
    tradedNotional,
    terminated: false,
    endedAtStep: null,
    metrics: computePerformance(
      {
        equity,
        position: held,
        tradedNotional,
        trades: [trade],
        feesPaid: entryFee + exitFee,
        fundingPaid: 0,
      },
      { periodsPerYear: options.periodsPerYear, intervalMs },
    ),
  };
}
