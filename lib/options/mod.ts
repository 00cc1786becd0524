/**
 * Options: Black-Scholes-Merton prices and Greeks with a continuous dividend yield, the
 * normal CDF, implied volatility, time to expiry, option chains, the volatility model (IV
 * from VIX or realised volatility, IV rank) and the bid/ask spread and fee model.
 *
 * @module
 */
export * from "./normal.ts";
export * from "./bsm.ts";
export * from "./implied_vol.ts";
export * from "./time.ts";
export * from "./chain.ts";
export * from "./chain_check.ts";
export * from "./vol_model.ts";
export * from "./spread.ts";
export * from "./fit.ts";
export * from "./synthetic_chain.ts";
export * from "./chain_grid.ts";
