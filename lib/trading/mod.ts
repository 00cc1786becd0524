/**
 * Trading rules and the one accounting model shared by the env, the backtester and the paper
 * broker.
 *
 * @module
 */
export * from "./config.ts";
export * from "./ledger.ts";
export * from "./account.ts";
