/**
 * Shared utilities: the seeded PRNG, typed errors, atomic writes, calendars, hashing.
 *
 * @module
 */
export * from "./prng.ts";
export * from "./errors.ts";
export * from "./atomic.ts";
export * from "./calendar.ts";
export * from "./hash.ts";
export * from "./flags.ts";
