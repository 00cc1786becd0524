/**
 * tfjs backend selection: `tensorflow` (tfjs-node, native) when it can be imported, else
 * `wasm` (`@tensorflow/tfjs-backend-wasm`, SIMD; needs `--allow-read` to read its `.wasm`
 * binary from `node_modules`), else `cpu` (pure JavaScript). An explicit choice overrides the
 * automatic order. The chosen name is returned so callers can log it and store it in the run
 * manifest.
 *
 * tfjs-node is never a dependency of this project (it cannot be installed on every machine:
 * it downloads a native libtensorflow). Its path is a guarded dynamic import that only runs
 * when the package is already present in `node_modules`; otherwise selection falls through
 * with a clear message.
 *
 * @module
 */
import { tf } from "../../../signals/mod.ts";
import { createRequire } from "node:module";
import { ConfigError } from "../../../util/mod.ts";

/** A tfjs backend name this toolkit knows how to select. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** Backend names accepted by {@link selectBackend} (`auto` = tensorflow → wasm → cpu). */
export const BACKEND_CHOICES: readonly (BackendName | "auto")[] = [
  "auto",
  "tensorflow",
  "wasm",
  "cpu",
];

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Print why a backend was skipped (to stderr). Default false. */
  verbose?: boolean;
}

/** Result of {@link selectBackend}. */
export interface BackendSelection {
  /** The backend now active in tfjs. */
  backend: BackendName;
  /** Why faster backends were skipped (empty when the first choice worked). */
  notes: string[];
}

let wasmRegistered = false;

/** The folder holding the wasm backend's `.wasm` binaries, or null if it cannot be resolved. */
function wasmDistDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("@tensorflow/tfjs-backend-wasm");
    return main.slice(0, main.lastIndexOf("/") + 1);
  } catch {
    return null;
  }
}

function hasReadPermission(path: string | null): boolean {
  try {
    const desc: Deno.PermissionDescriptor = path ? { name: "read", path } : { name: "read" };
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

/** Whether `@tensorflow/tfjs-node` is installed in the project's `node_modules`. */
function tfjsNodeInstalled(): boolean {
  try {
    const require = createRequire(`${Deno.cwd()}/`);
    require.resolve("@tensorflow/tfjs-node/package.json");
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(notes: string[]): Promise<boolean> {
  if (!tfjsNodeInstalled()) {
    notes.push(
      "tensorflow: @tensorflow/tfjs-node is not installed (it needs a native libtensorflow; " +
        "install it with `deno add npm:@tensorflow/tfjs-node` on a machine that supports it)",
    );
    return false;
  }
  try {
    // A computed specifier keeps tfjs-node out of the module graph unless it is present.
    const spec = ["npm:@tensorflow", "tfjs-node"].join("/");
    await import(spec);
    if (await tf.setBackend("tensorflow")) return true;
    notes.push("tensorflow: tfjs-node imported but the backend failed to initialise");
  } catch (e) {
    notes.push(`tensorflow: importing @tensorflow/tfjs-node failed: ${(e as Error).message}`);
  }
  return false;
}

async function tryWasm(notes: string[]): Promise<boolean> {
  const dist = wasmDistDir();
  if (!hasReadPermission(dist)) {
    notes.push(
      `wasm: needs read permission for its .wasm binary (${
        dist ?? "node_modules"
      }): run with --allow-read`,
    );
    return false;
  }
  try {
    if (!wasmRegistered) {
      // Registers the "wasm" backend. In Deno (Node compatibility) emscripten reads the binary
      // with \`fs\`; point it explicitly at the installed dist/ folder (robust to bundling and
      // to another working directory, e.g. a Jupyter kernel).
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      wasmRegistered = true;
      if (dist) wasm.setWasmPaths(dist);
    }
    if (await tf.setBackend("wasm")) return true;
    notes.push("wasm: the backend failed to initialise (see the message above)");
  } catch (e) {
    notes.push(`wasm: ${(e as Error).message}`);
  }
  return false;
}

/**
 * Select and initialise the tfjs backend.
 *
 * @param choice `auto` (default): tensorflow → wasm → cpu; or force one backend. A forced
 *   backend that cannot initialise is a {@link ConfigError} (no silent fallback).
 * @returns the active backend and notes on skipped backends.
 */
export async function selectBackend(
  choice: BackendName | "auto" = "auto",
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ConfigError(
      `unknown tfjs backend "${choice}"`,
      { parameter: "backend" },
      `use one of ${BACKEND_CHOICES.join(", ")}`,
    );
  }
  const notes: string[] = [];
  const order: BackendName[] = choice === "auto" ? ["tensorflow", "wasm", "cpu"] : [choice];
  for (const name of order) {
    let ok = false;
    if (name === "tensorflow") ok = await tryTensorflow(notes);
    else if (name === "wasm") ok = await tryWasm(notes);
    else ok = await tf.setBackend("cpu");
    if (ok) {
      if (options.verbose) { for (const n of notes) console.error(`backend: skipped ${n}`); }
      return { backend: name, notes };
    }
  }
  throw new ConfigError(
    `tfjs backend "${choice}" is not available: ${notes.join("; ")}`,
    { parameter: "backend" },
    choice === "auto" ? undefined : "try --backend cpu",
  );
}

/**
 * Make sure some tfjs backend is active without awaiting: keeps the current one, else sets
 * `cpu` (synchronous). Used by engines constructed before {@link selectBackend} ran.
 *
 * @returns the active backend name.
 */
export function ensureBackendSync(): string {
  let name: string | undefined;
  try {
    name = tf.getBackend();
  } catch {
    name = undefined;
  }
  if (!name) {
    void tf.setBackend("cpu");
    name = tf.getBackend();
  }
  return name;
}

/** The tfjs version string (for run manifests). */
export function tfjsVersion(): string {
  return tf.version_core;
}
