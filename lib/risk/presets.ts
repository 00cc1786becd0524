/**
 * Named presets of the guardrails, for command-line flags such as `--risk spec --exits off`:
 * `spec` is the specification's values, `off` switches everything off.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { DEFAULT_RISK_CONFIG, RISK_RULES, type RiskConfig } from "./risk_manager.ts";
import { type ExitLadderConfig, SPEC_EXIT_LADDER } from "./profit_manager.ts";

/** Names of the presets. */
export const RISK_PRESETS = ["spec", "off"] as const;

/** A preset's name. */
export type RiskPresetName = typeof RISK_PRESETS[number];

function known(name: string, parameter: string): RiskPresetName {
  if (!(RISK_PRESETS as readonly string[]).includes(name)) {
    throw new ConfigError(
      `unknown preset "${name}"`,
      { parameter },
      `use one of: ${RISK_PRESETS.join(", ")}`,
    );
  }
  return name as RiskPresetName;
}

/**
 * The risk rules of a preset: `spec` = {@link DEFAULT_RISK_CONFIG} (2 % daily loss, 3 losses
 * in a row, 10 % drawdown, IV rank 95, VIX 32, spread 5 %, kill switch; New York sessions);
 * `off` = the same limits with every rule disabled.
 */
export function riskPreset(name: string): RiskConfig {
  const c = structuredClone(DEFAULT_RISK_CONFIG) as RiskConfig;
  if (known(name, "risk") === "off") c.disabled = [...RISK_RULES];
  return c;
}

/**
 * The exit ladder of a preset: `spec` = {@link SPEC_EXIT_LADDER}; `off` = no take-profits,
 * no stop loss, no trailing stop (the manager then never emits an order).
 */
export function exitPreset(name: string): ExitLadderConfig {
  const c = structuredClone(SPEC_EXIT_LADDER) as ExitLadderConfig;
  if (known(name, "exits") === "off") {
    c.levels = [];
    c.stopLoss = null;
    c.trailing = null;
  }
  return c;
}
