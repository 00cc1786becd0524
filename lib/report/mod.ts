/**
 * Reporting: offline plotly display in Deno Jupyter notebooks, figure builders, headless
 * notebook execution with HTML export.
 *
 * @module
 */
export * from "./display.ts";
export * from "./notebook.ts";
export * from "./figures_data.ts";
export * from "./tables_data.ts";
export * from "./figures_backtest.ts";
export * from "./figures_features.ts";
export * from "./figures_signals.ts";
export * from "./tables_backtest.ts";
export * from "./run_summary.ts";
export * from "./risk_report.ts";
export * from "./figures_options.ts";
export * from "./evaluation_report.ts";
export * from "./tables_sweep.ts";
