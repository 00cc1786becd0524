/**
 * Market data: the columnar {@link MarketData} type, the seeded synthetic market, chronological
 * splits and walk-forward folds, validation, Binance archive / CSV / Parquet loaders, as-of
 * alignment of open interest and funding, and the archive downloader.
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
export * from "./load.ts";
export * from "./inspect.ts";
export * from "./fetch.ts";
