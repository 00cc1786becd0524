/**
 * API keys from environment variables, shared by the venue adapters: every missing variable is
 * named in one {@link BrokerConfigError}, and no value is ever echoed.
 *
 * @module
 */
import { BrokerConfigError } from "./types.ts";

/** The environment an adapter reads (`Deno.env` by default; a map in tests). */
export interface EnvSource {
  get(key: string): string | undefined;
}

/**
 * The values of the required `names` (in order); throws naming every missing one, with `hint`
 * saying where to get keys for `venue`.
 */
export function requireEnvKeys(
  env: EnvSource,
  names: readonly string[],
  options: { venue: string; hint: string },
): string[] {
  const values = names.map((n) => env.get(n));
  const missing = names.filter((_, i) => !values[i]);
  if (missing.length) {
    throw new BrokerConfigError(
      `${options.venue} keys missing: set ${missing.join(" and ")}`,
      { parameter: missing.join(", ") },
      options.hint,
    );
  }
  return values as string[];
}
