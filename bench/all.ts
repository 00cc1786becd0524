/**
 * `deno task bench`: run every benchmark in `bench/` (each `*_bench.ts`, one after the other in
 * its own process, so they do not share a JIT or heap) and print ONE JSON line per benchmark:
 * the line the benchmark itself printed. A benchmark that fails prints
 * `{"bench":"<name>","error":"…"}` and the task exits with status 1 after the others ran.
 *
 * Usage: `deno task bench [--only train,env]`
 *
 * @module
 */
import { ConfigError, parseFlags, runCli } from "../lib/util/mod.ts";

/** Benchmark names (`<name>_bench.ts`) found in this folder, sorted. */
export function benchNames(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
    .map((e) => e.name.slice(0, -"_bench.ts".length))
    .sort();
}

/** The last line of `text` that parses as a JSON object, or null. */
export function lastJsonLine(text: string): Record<string, unknown> | null {
  const lines = text.trim().split("\n").reverse();
  for (const l of lines) {
    try {
      const v = JSON.parse(l);
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* not JSON */ }
  }
  return null;
}

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    only: { type: "string", description: "comma-separated benchmark names" },
  }, { usage: "usage: deno task bench [--only name,…]" });
  const dir = new URL(".", import.meta.url).pathname;
  const all = benchNames(dir);
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !all.includes(n)) ?? [];
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown benchmark ${unknown.join(", ")}`,
      { parameter: "only" },
      `known: ${all.join(", ")}`,
    );
  }
  let failed = 0;
  for (const name of only ?? all) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${dir}${name}_bench.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const line = out.success ? lastJsonLine(new TextDecoder().decode(out.stdout)) : null;
    if (line) {
      console.log(JSON.stringify(line));
    } else {
      failed++;
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
      console.log(
        JSON.stringify({ bench: name, error: err || `exit code ${out.code}, no JSON line` }),
      );
    }
  }
  if (failed > 0) Deno.exit(1);
}

if (import.meta.main) await runCli(main);
