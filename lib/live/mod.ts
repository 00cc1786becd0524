/**
 * Live and paper trading: the market-hours scheduler, the SQLite journal of a trading loop,
 * the kill switch, incremental (one bar in, one row out) features, and metrics and daily
 * reports read back from the journal.
 *
 * Layer: above experiment/backtest/broker, below report/dashboard/cli.
 *
 * @module
 */
export { type Clock, SimulatedClock, SystemClock } from "./clock.ts";
export {
  JOB_NAMES,
  type JobContext,
  type JobHandler,
  type JobName,
  type JobOccurrence,
  marketDate,
  type MarketPhase,
  marketPhase,
  occurrencesBetween,
  resolveSchedule,
  type ResolvedSchedule,
  type ScheduleMarket,
  type SchedulerConfig,
  type SchedulerEvent,
  type SchedulerOptions,
  type SessionWindow,
  sessionWindows,
  TradingScheduler,
} from "./scheduler.ts";
