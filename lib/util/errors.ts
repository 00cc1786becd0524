/**
 * Typed errors. Every error says what was wrong, where (file, row, column, parameter) and,
 * when possible, what to do, so bad input never surfaces as a bare stack trace.
 *
 * @module
 */

/** Where a problem was found. Row numbers are 1-based data rows (header excluded). */
export interface ErrorLocation {
  file?: string;
  row?: number;
  column?: string;
  parameter?: string;
}

/** Base class of the toolkit's errors. */
export class ToolkitError extends Error {
  /** Where the problem is. */
  readonly where: ErrorLocation;
  /** What the user can do about it. */
  readonly hint?: string;

  constructor(message: string, where: ErrorLocation = {}, hint?: string) {
    const loc = formatLocation(where);
    super(`${message}${loc ? ` (${loc})` : ""}${hint ? `. ${hint}` : ""}`);
    this.name = new.target.name;
    this.where = where;
    this.hint = hint;
  }
}

/** Malformed, inconsistent or missing market data. */
export class DataError extends ToolkitError {}

/** An impossible or invalid configuration value or command-line flag. */
export class ConfigError extends ToolkitError {}

/** Misuse of an environment (bad action, stepping after the end, window too short). */
export class EnvError extends ToolkitError {}

/** A download failed (network, checksum, missing file). */
export class FetchError extends ToolkitError {}

/** A saved model/run could not be read or written. */
export class ModelError extends ToolkitError {}

function formatLocation(w: ErrorLocation): string {
  const parts: string[] = [];
  if (w.file !== undefined) parts.push(`file ${w.file}`);
  if (w.row !== undefined) parts.push(`row ${w.row}`);
  if (w.column !== undefined) parts.push(`column ${w.column}`);
  if (w.parameter !== undefined) parts.push(`parameter ${w.parameter}`);
  return parts.join(", ");
}

/**
 * Run a CLI main function: a {@link ToolkitError} prints its message (no stack trace) and
 * exits with code 2; anything else is a bug and keeps its stack trace.
 */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof ToolkitError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
