/**
 * The Policy interface lives in `lib/env/policy.ts` (one definition shared by training,
 * evaluation, backtests and live trading). This file only keeps the engines' existing import
 * path working.
 *
 * @module
 */
export type { ActOptions, ActResult, Policy } from "../env/mod.ts";
