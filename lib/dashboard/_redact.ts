/**
 * Secret redaction for everything the dashboard sends: any object key that looks like a
 * credential has its value replaced by {@link REDACTED}, at any depth.
 *
 * Cannot catch: a secret stored under an innocent key (e.g. `"note": "sk-…"`). Run configs
 * written by `train` hold no credentials today; broker keys live in the environment.
 *
 * @module
 */

/** Replacement text of a redacted value. */
export const REDACTED = "[redacted]";

/** Keys treated as secrets (case-insensitive substring match). */
export const SECRET_KEY_PATTERN =
  /key|secret|token|passw|passphrase|credential|auth|cookie|session|signature|private/i;

/** True when `key` names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

/** A deep copy of `value` with every secret-looking key's value replaced by {@link REDACTED}. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 64) return REDACTED; // pathological nesting: refuse rather than recurse forever
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
