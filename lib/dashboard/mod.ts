/**
 * Local web dashboard over the run folders (and, soon, the live loop's journal): a sortable
 * runs table, a run page whose curves grow while the run trains (Server-Sent Events as
 * `metrics.jsonl` grows), evaluation tables with equity and drawdown, a compare page, and a
 * CSRF-protected kill-switch endpoint. Loopback-only unless a token is given.
 *
 * @example
 * ```ts
 * import { startDashboard } from "@lib/dashboard/mod.ts";
 * const d = await startDashboard({ models: "models", port: 0 });
 * console.log(d.url); // http://127.0.0.1:<port>
 * await d.shutdown();
 * ```
 *
 * @module
 */
export {
  createDashboard,
  type Dashboard,
  type DashboardApp,
  type DashboardOptions,
  type KillFunction,
  startDashboard,
} from "./server.ts";
export {
  listRuns,
  type MetricsChunk,
  readMetricsChunk,
  readRunDetail,
  type RunDetail,
  type RunStatus,
  type RunSummary,
} from "./runs.ts";
export {
  type EvaluatedStrategy,
  type EvaluationData,
  type EvaluationSummary,
  normalizeEvaluation,
} from "./evaluation.ts";
export { checkBind, isLoopbackHost } from "./security.ts";
export { redact, REDACTED } from "./_redact.ts";
