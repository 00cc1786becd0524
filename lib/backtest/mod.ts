/**
 * Backtesting: run any policy through the futures env's accounting over a split, the
 * fixed-rule baseline and other reference policies, RL-vs-baseline comparison with a
 * stationary-bootstrap significance test, targets table and walk-forward evaluation.
 *
 * @module
 */
export * from "./backtest.ts";
export * from "./policies.ts";
export * from "./significance.ts";
export * from "./compare.ts";
export * from "./evaluate.ts";
export * from "./options_policies.ts";
export * from "./options_backtest.ts";
export * from "./buy_and_hold.ts";
