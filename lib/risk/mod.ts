/**
 * Guardrails and exits (specification 002, STEP 3): the {@link RiskManager} decides whether
 * an order may be placed (daily loss, loss streak, drawdown, kill switch, IV rank, VIX and
 * spread lockouts); the {@link ProfitManager} returns the take-profit ladder's, the trailing
 * stop's and the stop loss's exit orders. Both are pure (time comes in), serialisable, and
 * report every intervention as a {@link RiskEvent}. Depends only on `lib/util`.
 *
 * @module
 */
export { RiskError, type RiskEvent, type RiskLevel } from "./events.ts";
export {
  sessionAt,
  type SessionCalendar,
  sessionCalendarFor,
  type SessionWindow,
} from "./session.ts";
export {
  type ClosedTradeRecord,
  DEFAULT_RISK_CONFIG,
  type FillRecord,
  type Halt,
  type LatchingRule,
  resolveRiskConfig,
  RISK_RULES,
  type RiskConfig,
  type RiskContext,
  type RiskDecision,
  RiskManager,
  type RiskRuleName,
  type RiskState,
  type TradeRequest,
} from "./risk_manager.ts";
export {
  type ExitBar,
  type ExitLadderConfig,
  type ExitOrder,
  type ManagedPosition,
  type NewPosition,
  ProfitManager,
  type ProfitState,
  resolveExitLadder,
  SPEC_EXIT_LADDER,
  type TakeProfitLevel,
  type TrailingStopConfig,
} from "./profit_manager.ts";
export {
  exitPreset,
  exitsFromSpec,
  type ExitSpec,
  RISK_PRESETS,
  riskFromSpec,
  riskPreset,
  type RiskPresetName,
  type RiskSpec,
} from "./presets.ts";
