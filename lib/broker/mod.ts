/**
 * Brokers: one {@link Broker} interface and order state machine, the paper broker on
 * `lib/trading`'s accounting, the Alpaca (official SDK) and Binance USDⓈ-M (ccxt) adapters,
 * and the {@link ExecutionEngine} (risk gate, never-guessing outcomes, idempotent retries,
 * reconciliation, routing).
 *
 * @module
 */
export * from "./types.ts";
export { clientIdProblem, ClientOrderIdFactory } from "./client_id.ts";
export type { ClientOrderIdOptions } from "./client_id.ts";
export { isOptionSymbol, validateRequest, venueRefusal } from "./constraints.ts";
export type { Refusal } from "./constraints.ts";
export { ALPACA_RATE_LIMIT, RateLimiter, REAL_TIME } from "./rate_limiter.ts";
export type { TimeSource } from "./rate_limiter.ts";
export { FileUnresolvedStore, MemoryUnresolvedStore } from "./unresolved.ts";
export type { UnresolvedOrder, UnresolvedStore } from "./unresolved.ts";
export { PaperBroker } from "./paper_broker.ts";
export type { PaperBar, PaperBrokerOptions, PaperFill, PaperQuote } from "./paper_broker.ts";
export { ExecutionEngine } from "./engine.ts";
export type {
  EngineEvent,
  ExecutionEngineOptions,
  OrderOptions,
  Quote,
  SubmitOutcome,
} from "./engine.ts";
export { AlpacaBroker, alpacaOptionsFromEnv } from "./alpaca.ts";
export type { AlpacaBar, AlpacaBrokerOptions } from "./alpaca.ts";
export { binanceOptionsFromEnv, BinanceUsdmBroker } from "./binance.ts";
export type { BinanceBrokerOptions } from "./binance.ts";
export { brokerStatus, formatBrokerStatus } from "./status.ts";
export type { BrokerStatus } from "./status.ts";
