/**
 * Shared utilities: the seeded PRNG, typed errors, atomic writes, calendars (bar intervals and
 * the US equity session calendar), hashing, command-line flags.
 *
 * @module
 */
export * from "./prng.ts";
export * from "./errors.ts";
export * from "./atomic.ts";
export * from "./calendar.ts";
export * from "./hash.ts";
export * from "./us_equity_calendar.ts";
export * from "./flags.ts";
