/**
 * Market data: the columnar {@link MarketData} type, the seeded synthetic market, chronological
 * splits and walk-forward folds, validation, Binance archive / CSV / Parquet loaders, as-of
 * alignment of open interest and funding, and the archive downloader.
 *
 * Bring your own data: {@link loadDataset} loads bars plus optional OI and funding files in
 * one pass (layouts in `layouts.ts`, funding units in `funding.ts`); {@link coverageBySplit}
 * and {@link checkCoverage} report and police how much of each split has OI and funding;
 * {@link datasetFromFlags} turns the shared `--data/--oi/--funding/--columns/…` flags into its
 * arguments.
 *
 * @module
 */
export * from "./market_data.ts";
export * from "./synthetic.ts";
export * from "./split.ts";
export * from "./stylized_facts.ts";
export * from "./csv.ts";
export * from "./table.ts";
export * from "./validate.ts";
export * from "./align.ts";
export * from "./polars_io.ts";
export * from "./layouts.ts";
export * from "./funding.ts";
export * from "./dataset.ts";
export * from "./coverage.ts";
export * from "./flags.ts";
export * from "./load.ts";
export * from "./inspect.ts";
export * from "./fetch.ts";
export * from "./options_market.ts";
export * from "./synthetic_options.ts";
