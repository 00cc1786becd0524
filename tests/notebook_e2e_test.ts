/**
 * End-to-end tests of the notebook pipeline: tools/nb_run.py executing fixture notebooks on
 * the project's Deno kernel, the offline HTML export, lib/report's plotly display, the
 * notebook type-checker, and notebooks/01_data.ipynb in quick mode.
 *
 * Needs the Jupyter pieces (apt: jupyter-nbconvert jupyter-client python3-nbclient); the
 * kernel is registered by tools/setup.sh, which the first test runs. The Chromium rendering
 * check is skipped when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { unzlibSync } from "fflate";
import { executeNotebook, repoRoot } from "@lib/report/mod.ts";
import { generateSyntheticMarket, writeMarketDataParquet } from "@lib/data/mod.ts";
import { extractNotebook } from "../tools/nb_check.ts";

const ROOT = repoRoot();
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

interface NbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}
interface NbCell {
  cell_type: string;
  source: string | string[];
  outputs?: NbOutput[];
}

let cellId = 0;
function notebookJson(cells: [("code" | "markdown"), string][]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: cells.map(([type, source]) => ({
      id: `c${++cellId}`,
      cell_type: type,
      metadata: {},
      source,
      ...(type === "code" ? { outputs: [], execution_count: null } : {}),
    })),
  });
}

const join = (s: string | string[] | undefined): string => Array.isArray(s) ? s.join("") : s ?? "";

function readCells(path: string): NbCell[] {
  return JSON.parse(Deno.readTextFileSync(path)).cells as NbCell[];
}

function allOutputs(cells: NbCell[]): NbOutput[] {
  return cells.flatMap((c) => c.outputs ?? []);
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

let setupDone = false;
async function ensureSetup(): Promise<void> {
  if (setupDone) return;
  const res = await new Deno.Command("bash", {
    args: [`${ROOT}/tools/setup.sh`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const msg = new TextDecoder().decode(res.stderr);
  assert.equal(res.code, 0, `tools/setup.sh failed: ${msg}`);
  setupDone = true;
}

// -------------------------------------------------------------------------------- fixture
const FIXTURE_CELLS: [("code" | "markdown"), string][] = [
  ["markdown", "# Pipeline fixture"],
  [
    "code",
    'import { showPlot, showTable } from "@lib/report/mod.ts";\n' +
    'console.log("RLT-TEXT-OUTPUT", 6 * 7, "quick=" + Deno.env.get("RLT_QUICK"));',
  ],
  [
    "code",
    "showPlot({\n" +
    '  data: [{ type: "bar", x: ["a", "b", "c"], y: new Float64Array([3, 5, 4]),\n' +
    '           name: "fixture-bars", marker: { color: "#ff0000" } }],\n' +
    '  layout: { title: "Fixture bars", bargap: 0.05, margin: { t: 40, b: 30, l: 40, r: 10 } },\n' +
    "});",
  ],
  [
    "code",
    "// Many lines in a burst: the Deno kernel publishes some of them after reporting the\n" +
    "// cell finished; the runner's grace period must keep them all.\n" +
    'for (let i = 0; i < 300; i++) console.log("burst-line", i);\n' +
    'showPlot({ data: [{ type: "scatter", x: [1, 2, 3], y: [1, NaN, 2], name: "second" }],\n' +
    '  layout: { title: { text: "Second figure" } } })',
  ],
  ["code", 'showTable([{ metric: "sharpe", value: 1.25 }, { metric: "n", value: 3 }])'],
];

const tmp = Deno.makeTempDirSync({ prefix: "rlt_nb_test_" });
const fixturePath = `${tmp}/fixture.ipynb`;
const fixtureOut = `${tmp}/out`;
let fixtureRun: Awaited<ReturnType<typeof executeNotebook>> | undefined;

async function runFixture(): Promise<NonNullable<typeof fixtureRun>> {
  if (fixtureRun) return fixtureRun;
  await ensureSetup();
  Deno.writeTextFileSync(fixturePath, notebookJson(FIXTURE_CELLS));
  fixtureRun = await executeNotebook(fixturePath, { outDir: fixtureOut, quick: true });
  return fixtureRun;
}

Deno.test("nb_run executes a fixture notebook; text, plot and table outputs are saved", async () => {
  const run = await runFixture();
  assert.equal(run.code, 0, `runner failed:\n${run.log}`);
  const cells = readCells(run.notebookPath);
  const outs = allOutputs(cells);
  assert.equal(outs.filter((o) => o.output_type === "error").length, 0);

  const text = outs.filter((o) => o.output_type === "stream").map((o) => join(o.text)).join("");
  assert.match(text, /RLT-TEXT-OUTPUT 42 quick=1/, "text output with RLT_QUICK=1 in the kernel");
  // Every line of the burst arrives (late outputs are routed to their cell, none dropped).
  const burst = cells[3].outputs!.filter((o) => o.output_type === "stream").map((o) => join(o.text))
    .join("");
  const lines = burst.trim().split("\n");
  assert.equal(lines.length, 300, "all 300 burst lines kept in the cell that printed them");
  assert.equal(lines[299], "burst-line 299");

  const html = outs.map((o) => join(o.data?.["text/html"])).filter((h) => h !== "");
  const plots = html.filter((h) => h.includes("Plotly.newPlot"));
  assert.equal(plots.length, 2, "two plot outputs");
  assert.match(plots[0], /id="rlt-plot-1"/);
  assert.match(plots[1], /id="rlt-plot-2"/);
  assert.equal(count(plots[0], "data-rlt-plotly-lib"), 1, "first figure carries plotly.js");
  assert.equal(count(plots[1], "data-rlt-plotly-lib"), 0, "later figures reuse window.Plotly");
  assert.ok(plots[0].includes('"fixture-bars"') && plots[0].includes("[3,5,4]"));
  assert.ok(plots[1].includes("[1,null,2]"), "NaN becomes a gap (null)");
  // text/plain fallbacks
  const plain = outs.map((o) => join(o.data?.["text/plain"]));
  assert.ok(plain.includes('<plotly figure "Fixture bars": fixture-bars[3]>'));
  assert.ok(plain.some((p) => /metric\s+value\n\s*sharpe\s+1\.25\n\s*n\s+3/.test(p)));
  assert.ok(html.some((h) => h.includes("<table") && h.includes("sharpe")));
});

Deno.test("HTML export: outputs present, plotly.js inlined once, no external URL", async () => {
  const run = await runFixture();
  assert.equal(run.code, 0, run.log);
  const html = Deno.readTextFileSync(run.htmlPath);
  assert.ok(html.includes("RLT-TEXT-OUTPUT 42"), "text output in HTML");
  assert.ok(html.includes('id="rlt-plot-1"') && html.includes('id="rlt-plot-2"'), "plots");
  assert.ok(html.includes("burst-line 299"));
  assert.equal(count(html, "data-rlt-plotly-lib"), 1, "plotly.js inlined exactly once");
  const lib = Deno.readTextFileSync(`${ROOT}/node_modules/plotly.js-dist-min/plotly.min.js`);
  assert.ok(html.includes(lib), "the inlined library is plotly.min.js verbatim");

  // The inlined library is JavaScript, not markup: its strings (including HTML snippets
  // with href= used for map attributions) are not part of the document. Scan the rest.
  const outsideLib = html.split(lib).join("");
  assert.ok(outsideLib.length < html.length - lib.length + 1);

  // 1. No attribute or CSS url() may point outside the file.
  const attrs = [
    ...outsideLib.matchAll(/\b(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]+)/gi),
  ].map((m) => m[1]);
  const external = attrs.filter((a) => /^(?:https?:)?\/\//i.test(a));
  assert.deepEqual(external, [], "no src/href to an external URL");
  const cssUrls = [...outsideLib.matchAll(/url\(\s*["']?((?:https?:)?\/\/[^)"']*)/gi)]
    .map((m) => m[1]);
  assert.deepEqual(cssUrls, [], "no CSS url() to an external URL");
  assert.doesNotMatch(outsideLib, /@import/i, "no CSS @import");

  // 2. Whole-file scan. Allowed exceptions, explained:
  //  - inside the inlined plotly.js bundle (verbatim plotly.min.js): string constants (map
  //    tile servers and attribution links, the topojson CDN of geo traces, license comments,
  //    XML namespaces). Only map/geo traces would use them; lib/report never emits those
  //    traces, its default config disables the cloud links, and the Chromium test below
  //    renders the page with every host name unresolvable.
  //  - http://www.w3.org/... : XML namespace identifiers (in the Jupyter CSS's inline SVG
  //    data: URIs). Namespace names are never fetched.
  const leftovers = [...outsideLib.matchAll(/https?:\/\/[^\s"'<>)]*/gi)].map((m) => m[0])
    .filter((u) => !u.startsWith("http://www.w3.org/"));
  assert.deepEqual(leftovers, [], "no http(s) URL outside the plotly.js bundle");
});

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) to RGBA pixels. */
function decodePng(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  let width = 0, height = 0, colorType = 0, bitDepth = 0, interlace = 0;
  const idat: Uint8Array[] = [];
  while (off < bytes.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    const data = bytes.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(off + 8);
      height = dv.getUint32(off + 12);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    off += 12 + len;
  }
  assert.equal(bitDepth, 8, "8-bit PNG");
  assert.equal(interlace, 0, "non-interlaced PNG");
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  assert.ok(channels > 0, `unsupported PNG colour type ${colorType}`);
  const total = idat.reduce((s, d) => s + d.length, 0);
  const z = new Uint8Array(total);
  let p = 0;
  for (const d of idat) (z.set(d, p), p += d.length);
  const raw = unzlibSync(z);
  const stride = width * channels;
  const img = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = img.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? img.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const pp = a + b - c;
        const pa = Math.abs(pp - a), pb = Math.abs(pp - b), pc = Math.abs(pp - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[x] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = img[i * channels + k];
    rgba[i * 4 + 3] = channels === 4 ? img[i * channels + 3] : 255;
  }
  return { width, height, rgba };
}

async function screenshot(htmlPath: string, pngPath: string): Promise<Uint8Array> {
  const profile = Deno.makeTempDirSync({ prefix: "rlt_chromium_" });
  try {
    const res = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        // Every host name fails to resolve: the page must render with no network at all.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1000,1200",
        "--virtual-time-budget=5000",
        `--screenshot=${pngPath}`,
        `file://${htmlPath}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
    return Deno.readFileSync(pngPath);
  } finally {
    Deno.removeSync(profile, { recursive: true });
  }
}

/** Pixels close to pure red (#ff0000), the fixture's bar colour. */
function redPixels(png: Uint8Array): { red: number; total: number } {
  const { width, height, rgba } = decodePng(png);
  let red = 0;
  for (let i = 0; i < width * height; i++) {
    const r = rgba[i * 4], g = rgba[i * 4 + 1], b = rgba[i * 4 + 2];
    if (r > 230 && g < 40 && b < 40) red++;
  }
  return { red, total: width * height };
}

Deno.test({
  name: "exported HTML draws the chart offline in headless Chromium (screenshot)",
  ignore: !hasChromium,
  async fn() {
    const run = await runFixture();
    assert.equal(run.code, 0, run.log);
    const drawn = redPixels(await screenshot(run.htmlPath, `${tmp}/drawn.png`));
    // Three red bars of a 1000 px wide, 420 px high chart cover tens of thousands of pixels.
    assert.ok(drawn.red > 20_000, `red bar pixels: ${drawn.red} of ${drawn.total}`);

    // Negative control: the same page without the inlined library draws nothing red,
    // so the pixel count above really measures plotly rendering the figure.
    const html = Deno.readTextFileSync(run.htmlPath);
    const stripped = html.replace(/<script[^>]*data-rlt-plotly-lib[^>]*>[\s\S]*?<\/script>/, "");
    assert.ok(stripped.length < html.length - 1_000_000);
    Deno.writeTextFileSync(`${tmp}/nolib.html`, stripped);
    const blank = redPixels(await screenshot(`${tmp}/nolib.html`, `${tmp}/nolib.png`));
    assert.equal(blank.red, 0, "without plotly.js no bar is drawn");
  },
});

Deno.test("a cell error exits non-zero and still writes the partial notebook and HTML", async () => {
  await ensureSetup();
  const path = `${tmp}/failing.ipynb`;
  Deno.writeTextFileSync(
    path,
    notebookJson([
      ["markdown", "# Failing fixture"],
      ["code", 'console.log("before-" + "error");'],
      ["code", 'throw new Error("boom-" + "fixture");'],
      ["code", 'console.log("never-" + "ran");'],
    ]),
  );
  const out = `${tmp}/failing_out`;
  const run = await executeNotebook(path, { outDir: out });
  assert.equal(run.code, 1, `exit code 1 on a cell error:\n${run.log}`);
  assert.match(run.log, /FAILED .*cell 2 raised/);
  const cells = readCells(run.notebookPath);
  const outs = allOutputs(cells);
  assert.ok(outs.some((o) => join(o.text).includes("before-error")));
  const err = outs.find((o) => o.output_type === "error");
  assert.ok(err && join(err.evalue).includes("boom-fixture"), "error output recorded");
  assert.deepEqual(cells[3].outputs, [], "cells after the error are not executed");
  const html = Deno.readTextFileSync(run.htmlPath);
  assert.ok(html.includes("before-error") && html.includes("boom-fixture"));
  assert.ok(!html.includes("never-ran"));
});

Deno.test("a cell timeout exits non-zero and still writes the partial HTML", async () => {
  await ensureSetup();
  const path = `${tmp}/slow.ipynb`;
  Deno.writeTextFileSync(
    path,
    notebookJson([
      ["code", 'console.log("first-" + "cell");'],
      ["code", "await new Promise((r) => setTimeout(r, 60_000));"],
    ]),
  );
  const run = await executeNotebook(path, { outDir: `${tmp}/slow_out`, timeoutS: 3 });
  assert.equal(run.code, 2, `exit code 2 on a timeout:\n${run.log}`);
  const html = Deno.readTextFileSync(run.htmlPath);
  assert.ok(html.includes("first-cell") && html.includes("CellTimeoutError"));
});

Deno.test("nb_check maps notebook type errors back to cell and line", async () => {
  const src = notebookJson([
    ["markdown", "# x"],
    ["code", 'import { showTable } from "@lib/report/mod.ts";\nconst rows = [{ a: 1 }];'],
    ["code", "const n: number = 2;\nconst s: string = n;\nshowTable(rows)"],
  ]);
  const { source, spans } = extractNotebook(src, "x.ipynb");
  assert.deepEqual(spans.map((s) => s.cell), [2, 3]);
  assert.ok(source.includes("export {};"));
  const path = `${tmp}/typebad.ipynb`;
  Deno.writeTextFileSync(path, src);
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}/tools/nb_check.ts`, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  assert.equal(res.code, 1, text);
  assert.match(text, /TS2322/);
  assert.ok(text.includes(`${path} cell 3, line 2:7`), text);
});

/** A synthetic "downloaded" dataset with a 5-bar gap, written as a Parquet cache. */
async function writeFixtureDataset(dir: string): Promise<void> {
  const md = generateSyntheticMarket({ bars: 3000, seed: 7, symbol: "FIXTUREUSDT" });
  const keep = (a: Float64Array) => {
    const out = new Float64Array(a.length - 5);
    out.set(a.subarray(0, 100));
    out.set(a.subarray(105), 100);
    return out;
  };
  Deno.mkdirSync(dir, { recursive: true });
  await writeMarketDataParquet({
    ...md,
    time: keep(md.time),
    open: keep(md.open),
    high: keep(md.high),
    low: keep(md.low),
    close: keep(md.close),
    volume: keep(md.volume),
    openInterest: keep(md.openInterest!),
    fundingRate: keep(md.fundingRate!),
  }, `${dir}/FIXTUREUSDT-5m-2024-01_2024-01.parquet`);
}

Deno.test("notebooks/01_data.ipynb runs in quick mode, with and without a real dataset", async () => {
  await ensureSetup();
  const nb = `${ROOT}/notebooks/01_data.ipynb`;
  const charts = ["price and volume", "open interest and funding", "chronological split"];

  // 1. No dataset: the synthetic sections only; the optional section says so.
  const empty = `${tmp}/no_data`;
  Deno.mkdirSync(empty);
  const run = await executeNotebook(nb, {
    outDir: `${tmp}/nb01`,
    quick: true,
    env: { RLT_DATA_DIR: empty },
  });
  assert.equal(run.code, 0, run.log);
  const outs = allOutputs(readCells(run.notebookPath));
  assert.deepEqual(outs.filter((o) => o.output_type === "error"), []);
  const plain = outs.map((o) => join(o.data?.["text/plain"]) + join(o.text)).join("\n");
  for (const chart of charts) assert.ok(plain.includes(chart), `chart "${chart}" missing`);
  assert.match(plain, /SYNTHBTCUSDT 5m: 8064 bars/, "quick mode: 4 weeks of 5-minute bars");
  assert.match(plain, /SYNTHBTCUSDT: no gaps in 8064 bars/);
  assert.match(plain, /no downloaded dataset in data\//);
  const plots = outs.filter((o) => join(o.data?.["text/html"]).includes("Plotly.newPlot"));
  assert.equal(plots.length, 3);
  assert.equal(count(Deno.readTextFileSync(run.htmlPath), "data-rlt-plotly-lib"), 1);

  // 2. A downloaded dataset (fixture Parquet with a 5-bar gap): validated, gaps, charts.
  const dataDir = `${tmp}/data`;
  await writeFixtureDataset(dataDir);
  const run2 = await executeNotebook(nb, {
    outDir: `${tmp}/nb01_real`,
    quick: true,
    env: { RLT_DATA_DIR: dataDir },
  });
  assert.equal(run2.code, 0, run2.log);
  const outs2 = allOutputs(readCells(run2.notebookPath));
  assert.deepEqual(outs2.filter((o) => o.output_type === "error"), []);
  const plain2 = outs2.map((o) => join(o.data?.["text/plain"]) + join(o.text)).join("\n");
  assert.match(plain2, /real dataset: .*FIXTUREUSDT-5m.*\(FIXTUREUSDT 5m, 2995 bars\)/);
  assert.match(plain2, /FIXTUREUSDT: gaps/);
  assert.match(plain2, /missing bars\s+5\s+warning/);
  assert.match(plain2, /2024-01-01T08:15:00.000Z\s+2024-01-01T08:45:00.000Z\s+5\s+100/);
  assert.ok(plain2.includes("FIXTUREUSDT 5m: price and volume"));
  assert.ok(plain2.includes("FIXTUREUSDT: open interest and funding"));
  const plots2 = outs2.filter((o) => join(o.data?.["text/html"]).includes("Plotly.newPlot"));
  assert.equal(plots2.length, 5);
});

Deno.test({
  name: "cleanup notebook test temp dir",
  fn() {
    Deno.removeSync(tmp, { recursive: true });
  },
});
