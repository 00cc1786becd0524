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
  type JobSpec,
  marketDate,
  type MarketPhase,
  marketPhase,
  occurrencesBetween,
  type ResolvedSchedule,
  resolveSchedule,
  type ScheduleMarket,
  type SchedulerConfig,
  type SchedulerEvent,
  type SchedulerOptions,
  type SessionWindow,
  sessionWindows,
  TradingScheduler,
} from "./scheduler.ts";
export {
  type AgentRow,
  type BarRow,
  type BrokerResponseRow,
  type DecisionKind,
  type DecisionRow,
  type EquityRow,
  type FillRow,
  Journal,
  JOURNAL_SCHEMA_VERSION,
  JournalError,
  type JournalOptions,
  type JournalTable,
  type KillSwitchEventRow,
  type LoopEventRow,
  newClientOrderId,
  type OrderIntent,
  type OrderRow,
  type OrderStatus,
  type PositionRow,
  type RiskEventRow,
  type SchedulerEventRow,
  schedulerOptionsFromJournal,
  TERMINAL_ORDER_STATUSES,
  type TradeRow,
} from "./journal.ts";
export {
  defaultJournalPath,
  KillSwitchMonitor,
  type KillSwitchOptions,
  killSwitchPath,
  type KillSwitchState,
  readKillSwitch,
  resetKillSwitch,
  setKillSwitch,
} from "./kill_switch.ts";
export {
  type FeatureBar,
  type FeatureStep,
  type IncrementalFeatureOptions,
  IncrementalFeatures,
  observationHash,
} from "./incremental_features.ts";
export {
  type AgentMetrics,
  buildDailyReport,
  dailyReportHandler,
  dayWindow,
  journalMetrics,
  type JournalMetricsOptions,
  type LiveDailyReport,
  renderDailyReportHtml,
  trackerFromJournal,
  writeDailyReport,
} from "./journal_metrics.ts";
export {
  type BarColumns,
  type BarFeed,
  formatDiff,
  type LoopAgent,
  type LoopBar,
  LoopError,
  type LoopSummary,
  PaperLoop,
  type PaperLoopOptions,
  type ReconcileDiff,
  reconcileJournal,
  replayFeed,
  type WatchdogName,
  WATCHDOGS,
} from "./loop.ts";
export { isPaperBrokerStore, paperBrokerStorePath, PersistentPaperBroker } from "./paper_store.ts";
export {
  loadRunPolicy,
  type PolicyDecision,
  type RunPolicy,
  type RunPolicyOptions,
} from "./run_policy.ts";
export {
  formatSummary,
  type PaperSessionOptions,
  type PaperSessionResult,
  runPaperSession,
  sessionBars,
  WARMUP_BARS,
} from "./paper_session.ts";
export {
  backtestFills,
  type ComparedFill,
  compareWithBacktest,
  type DivergenceReport,
  divergenceReport,
  type DivergenceRow,
  type SessionComparison,
} from "./divergence.ts";
export {
  alpacaBarFeed,
  alpacaTimeframe,
  LIVE_WARMUP_BARS,
  pollingFeed,
  type PollingFeedOptions,
} from "./live_feed.ts";
