/**
 * The layering of `lib/` (ARCHITECTURE.md), enforced from the import graph: every import in
 * `lib/`, `cli/`, `bench/` and the notebooks' code cells is parsed, and the test fails on
 *
 * 1. an import that points UP the layer order (a lower folder importing a higher one);
 * 2. a cycle between folders (two folders of the same layer importing each other, directly or
 *    through others);
 * 3. a cross-folder import that bypasses the target folder's `mod.ts` (tests are exempt: they
 *    may import internals);
 * 4. a folder under `lib/` that is not in the layer table (a new folder must be placed).
 *
 * What it cannot catch: imports built at run time from strings (`import(variable)`), a module
 * that re-exports another folder's internals through its own `mod.ts`, and layering mistakes
 * inside one folder.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Layer of every folder, bottom (0) to top. Folders still to come are listed so they are
 * checked the day they appear. An import may point to the same or a lower layer.
 */
export const LAYERS: Readonly<Record<string, number>> = {
  util: 0,
  data: 1,
  trading: 1,
  metrics: 1,
  options: 1,
  risk: 1,
  features: 2,
  env: 2,
  signals: 3,
  agents: 4,
  experiment: 5,
  backtest: 5,
  broker: 5,
  live: 6,
  report: 7,
  dashboard: 7,
  cli: 8,
  bench: 8,
  notebooks: 8,
};

/** One import edge. */
interface Edge {
  /** Importing file (repository-relative). */
  file: string;
  /** Folder of the importing file (lib folder name, or cli / bench / notebooks). */
  from: string;
  /** Folder imported (lib folder name). */
  to: string;
  /** Path of the imported module inside `lib/` (e.g. `agents/mod.ts`). */
  target: string;
  /** The import specifier as written. */
  spec: string;
}

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

function walk(dir: string, ext: string): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...walk(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Import specifiers of a TypeScript source (comments stripped first). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2]);
  return out;
}

/** The lib-relative path an import resolves to, or null if it is not inside `lib/`. */
function resolveLib(fileAbs: string, spec: string): string | null {
  if (spec.startsWith("@lib/")) return spec.slice("@lib/".length);
  if (!spec.startsWith(".")) return null;
  const dir = fileAbs.slice(0, fileAbs.lastIndexOf("/"));
  const abs = new URL(spec, `file://${dir}/`).pathname;
  return abs.startsWith(`${ROOT}/lib/`) ? abs.slice(`${ROOT}/lib/`.length) : null;
}

function collectEdges(): Edge[] {
  const edges: Edge[] = [];
  const add = (fileAbs: string, from: string, source: string) => {
    const file = fileAbs.slice(ROOT.length + 1);
    for (const spec of specifiers(source)) {
      const target = resolveLib(fileAbs, spec);
      if (target === null) continue;
      const to = target.split("/")[0];
      if (to !== from) edges.push({ file, from, to, target, spec });
    }
  };
  for (const f of walk(`${ROOT}/lib`, ".ts")) {
    add(f, f.slice(`${ROOT}/lib/`.length).split("/")[0], Deno.readTextFileSync(f));
  }
  for (const top of ["cli", "bench"]) {
    for (const f of walk(`${ROOT}/${top}`, ".ts")) add(f, top, Deno.readTextFileSync(f));
  }
  for (const f of walk(`${ROOT}/notebooks`, ".ipynb")) {
    const nb = JSON.parse(Deno.readTextFileSync(f)) as {
      cells: { cell_type: string; source: string | string[] }[];
    };
    const code = nb.cells.filter((c) => c.cell_type === "code")
      .map((c) => Array.isArray(c.source) ? c.source.join("") : c.source).join("\n");
    add(f, "notebooks", code);
  }
  return edges;
}

const EDGES = collectEdges();

Deno.test("architecture: every lib folder has a place in the layer table", () => {
  const folders = [...Deno.readDirSync(`${ROOT}/lib`)].filter((e) => e.isDirectory)
    .map((e) => e.name);
  const missing = folders.filter((f) => !(f in LAYERS));
  assert.deepEqual(missing, [], `lib folders without a layer: ${missing.join(", ")}`);
  // the parser finds imports at all (guards against a regex that silently matches nothing)
  assert.ok(EDGES.length > 50, `only ${EDGES.length} cross-folder imports found`);
});

Deno.test("architecture: no import points up the layers", () => {
  const up = EDGES.filter((e) => (LAYERS[e.to] ?? Infinity) > (LAYERS[e.from] ?? -1))
    .map((e) =>
      `${e.file}: ${e.from} (layer ${LAYERS[e.from]}) imports ${e.spec} (layer ${LAYERS[e.to]})`
    );
  assert.deepEqual(up, []);
});

Deno.test("architecture: no circular imports between folders", () => {
  const graph = new Map<string, Set<string>>();
  for (const e of EDGES) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "visiting");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(m)), m].join(" → "));
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

Deno.test("architecture: other folders are imported through their mod.ts", () => {
  const deep = EDGES.filter((e) => e.target !== `${e.to}/mod.ts`)
    .map((e) => `${e.file}: imports ${e.spec} (use ${e.to}/mod.ts)`);
  assert.deepEqual(deep, []);
});
