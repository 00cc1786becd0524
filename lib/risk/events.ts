/**
 * Interventions of the guardrails as plain, JSON-serialisable events, and the typed error of
 * the risk module.
 *
 * @module
 */
import { ToolkitError } from "../util/mod.ts";

/**
 * One intervention: a denied order, a shutdown or lockout that latched, a kill switch set or
 * reset, a session reset, or a take-profit / stop exit of the profit manager.
 */
export interface RiskEvent {
  /** When it happened (UTC epoch ms, the time passed in by the caller). */
  timeMs: number;
  /** The rule's name, e.g. `"daily_loss"`, `"kill_switch"`, `"tp1"`, `"stop_loss"`. */
  rule: string;
  /** Human-readable reason naming the rule and the numbers. */
  reason: string;
  /** The numbers behind the reason (fractions as fractions, prices in quote currency). */
  numbers: Record<string, number>;
}

/** Severity of a risk decision: `critical` for account-level halts, `high` for lockouts. */
export type RiskLevel = "low" | "medium" | "high" | "critical";

/** Invalid runtime input to a risk or profit manager (NaN equity, unknown symbol, bad state). */
export class RiskError extends ToolkitError {}

/** Format a fraction as a percentage with two decimals: `0.0231` → `"2.31 %"`. */
export function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(2)} %`;
}
