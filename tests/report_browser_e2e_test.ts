/// <reference lib="dom" />
/**
 * Report check: an exported report reads well in a real browser. Real backtests (the futures
 * env on a seeded synthetic market, validation split: 14 strategies as in notebook 08, one of
 * them never trading) go through the lib/report builders into a notebook's outputs, which
 * `tools/nb_run.py`'s `export_html` (nbconvert, the offline lab template `deno task report`
 * uses) turns into HTML; headless Chromium opens it and checks:
 *
 * - no table is clipped: every output area's content fits (scrollWidth/scrollHeight), and
 *   every plotly table shows its last row inside the plot area (plotly scrolls the rest);
 * - no two traces in one chart share a colour;
 * - the legend overlaps no axis title or tick label;
 * - no compounded annual figure (CAGR, Calmar) is shown for the sub-year window: the cells
 *   read `n/a (window < 1 year)`;
 * - an empty trade ledger is a header plus one "no trades" row, its caption on one line;
 * - preformatted text wraps between words: no word that fits a line is split across two
 *   (a control with JupyterLab's `word-break: break-all` shows the probe sees such splits).
 *
 * Skips cleanly without Chromium or the Debian python with nbconvert (`.ci/run` installs
 * both). Cannot catch: problems in figures this page does not build (the notebooks' own
 * figures run through the same builders), or overlap a human sees but geometry does not
 * (e.g. low-contrast colours).
 */
import assert from "node:assert/strict";
import {
  AlwaysFlatPolicy,
  backtest,
  type BacktestResult,
  BuyAndHoldPolicy,
  checkTargets,
  comparisonTable,
  FixedRuleBaseline,
  RandomPolicy,
} from "../lib/backtest/mod.ts";
import { buildTradingSetup } from "../lib/experiment/mod.ts";
import { performanceRows, SHORT_WINDOW_TEXT, windowYears } from "../lib/metrics/mod.ts";
import {
  comparisonRows,
  comparisonTableFigure,
  drawdownFigure,
  equityFigure,
  type MimeBundle,
  resetPlotlyEmbedding,
  showPlot,
  showTable,
  showText,
  targetsTableFigure,
  tradeRows,
  tradesOnPriceFigure,
} from "../lib/report/mod.ts";
import { chromiumAvailable, launchBrowser } from "./dashboard_fixtures.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

function nbconvertAvailable(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import nbconvert"], stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const skip = !chromiumAvailable() || !nbconvertAvailable();

type Cell = { cell_type: "code"; source: string; outputs: unknown[] };

function displayCell(source: string, d: { bundle: MimeBundle }): Cell {
  return {
    cell_type: "code",
    source,
    outputs: [{ output_type: "display_data", data: d.bundle, metadata: {} }],
  };
}

async function buildReport(dir: string): Promise<{ html: string; years: number }> {
  const setup = await buildTradingSetup({ bars: 8000, signals: "none", log: () => {} });
  const P = setup.periodsPerYear;
  const env = () => setup.makeEvalEnv("validation");
  const obsDim = env().observationSpace.size;
  const runs: BacktestResult[] = [];
  for (let s = 0; s < 11; s++) {
    const name = `${["ppo", "a2c", "grpo"][s % 3]} s${Math.floor(s / 3)}`;
    runs.push(backtest(new RandomPolicy({ seed: s, nActions: 6, obsDim }), env, {
      periodsPerYear: P,
      name,
      deterministic: false,
    }));
  }
  const base = backtest(new FixedRuleBaseline(), env, { periodsPerYear: P, name: "baseline" });
  const hold = backtest(new BuyAndHoldPolicy(), env, { periodsPerYear: P, name: "buy & hold" });
  const flat = backtest(new AlwaysFlatPolicy(), env, { periodsPerYear: P, name: "ppo (0 trades)" });
  const all = [...runs, base, hold, flat];
  assert.equal(all.length, 14);
  assert.equal(flat.trades.length, 0);
  const rows = comparisonTable(all.map((r) => ({ name: r.name, group: "x", result: r })));
  const metricTable = performanceRows(runs[0].metrics).map((row, i) => ({
    metric: row.metric,
    [runs[0].name]: row.value,
    baseline: performanceRows(base.metrics)[i].value,
    "buy & hold": performanceRows(hold.metrics)[i].value,
  }));
  resetPlotlyEmbedding();
  const summary = [
    `trained ppo for 2,048 steps in 0.6 s (3,185 steps/s, engine fast, backend wasm)`,
    `validation split (900 bars, deterministic policy; return = final / initial equity − 1, ` +
    `fees and funding included; Sharpe annualised from per-bar equity returns; trades = ` +
    `closed trades; reward = env reward sum) saved: models/ppo-20261130-123456-s0 ` +
    `(config.json, manifest.json, metrics.jsonl, best/, checkpoints/) ` +
    `notebook: const run = await loadRun("models/ppo-20261130-123456-s0")`,
  ].join("\n").repeat(3);
  const cells: Cell[] = [
    displayCell("equity", showPlot(equityFigure(all, { title: "Validation equity" }))),
    displayCell("drawdown", showPlot(drawdownFigure(all))),
    displayCell("trades", showPlot(tradesOnPriceFigure(runs[0]))),
    displayCell(
      "no trades",
      showTable(tradeRows(flat, 30), { caption: `first trades of ${flat.name} (money in USDT)` }),
    ),
    displayCell("some trades", showTable(tradeRows(runs[0], 30), { caption: "trades" })),
    displayCell("metrics", showTable(metricTable, { caption: "validation split" })),
    displayCell("comparison", showTable(comparisonRows(rows))),
    displayCell("comparison figure", showPlot(comparisonTableFigure(rows))),
    displayCell(
      "targets",
      showPlot(targetsTableFigure(
        [runs[0], base, hold].map((r) => ({ name: r.name, checks: checkTargets(r) })),
      )),
    ),
    displayCell("text", showText(summary)),
    {
      cell_type: "code",
      source: "console.log(summary)",
      outputs: [{ output_type: "stream", name: "stdout", text: summary + "\n" }],
    },
  ];
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      { cell_type: "markdown", source: "# Report check", metadata: {} },
      ...cells.map((c, i) => ({ ...c, metadata: {}, execution_count: i + 1, id: `c${i}` })),
    ],
  };
  await Deno.writeTextFile(`${dir}/report.ipynb`, JSON.stringify(nb));
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      "import sys, nbformat; from pathlib import Path; sys.path.insert(0, sys.argv[1]);" +
      "from nb_run import export_html;" +
      "export_html(nbformat.read(sys.argv[2], as_version=4), Path(sys.argv[3]))",
      `${ROOT}tools`,
      `${dir}/report.ipynb`,
      `${dir}/report.html`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return { html: `${dir}/report.html`, years: windowYears(runs[0].metrics) };
}

Deno.test({
  name: "report check: the exported HTML in Chromium: no clipped table, distinct colours, " +
    "legends clear of axes, no sub-year CAGR, a 'no trades' row, words kept whole",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "report-check-" });
    const { browser, close } = await launchBrowser();
    try {
      const { html, years } = await buildReport(dir);
      assert.ok(years < 1, `the validation window is ${years.toFixed(3)} years`);
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`file://${html}`, { waitUntil: "load", timeout: 60_000 });
      await page.waitForFunction(
        () =>
          document.querySelectorAll(".js-plotly-plot .main-svg").length >= 5 &&
          [...document.querySelectorAll(".js-plotly-plot")].every((p) =>
            (p as unknown as { _fullLayout?: unknown })._fullLayout
          ),
        { timeout: 60_000 },
      );
      const r = await page.evaluate(() => {
        const problems: string[] = [];
        const rect = (e: Element) => e.getBoundingClientRect();
        const overlap = (a: DOMRect, b: DOMRect) =>
          a.width > 0 && b.width > 0 && a.left < b.right - 1 && b.left < a.right - 1 &&
          a.top < b.bottom - 1 && b.top < a.bottom - 1;
        // 1. output areas: content fits (no clipped table or text)
        for (const o of document.querySelectorAll(".jp-OutputArea-output")) {
          if (o.scrollWidth > o.clientWidth + 1 || o.scrollHeight > o.clientHeight + 1) {
            problems.push(
              `output clipped: ${o.scrollWidth}x${o.scrollHeight} in ${o.clientWidth}x${o.clientHeight}: ${
                (o.textContent ?? "").slice(0, 60)
              }`,
            );
          }
        }
        type Gd = HTMLElement & {
          _fullLayout: { _size: { t: number; h: number }; title?: { text?: string } };
          _fullData: {
            type: string;
            name?: string;
            mode?: string;
            visible?: unknown;
            showlegend?: boolean;
            line?: { color?: unknown };
            marker?: { color?: unknown };
          }[];
        };
        const plots = [...document.querySelectorAll(".js-plotly-plot")] as Gd[];
        let tables = 0;
        for (const gd of plots) {
          const title = gd._fullLayout.title?.text ?? "?";
          const svg = rect(gd.querySelector(".main-svg")!);
          // 2. plotly tables: the last row inside the plot area
          if (gd._fullData.some((d) => d.type === "table")) {
            tables++;
            const bottom = svg.top + gd._fullLayout._size.t + gd._fullLayout._size.h;
            const cells = [...gd.querySelectorAll(".table .cell-rect")].map(rect);
            const lowest = Math.max(...cells.map((c) => c.bottom));
            if (lowest > bottom + 1) {
              problems.push(`table "${title}": rows end at ${lowest}, plot area at ${bottom}`);
            }
          }
          // 3. one colour per trace
          const colors = new Map<string, string>();
          for (const d of gd._fullData) {
            if (d.type === "table" || d.visible === false) continue;
            const c = d.mode === "markers" || d.type === "bar" || d.type === "histogram"
              ? d.marker?.color
              : d.line?.color;
            if (typeof c !== "string") continue;
            const other = colors.get(c);
            if (other) problems.push(`"${title}": ${other} and ${d.name} share ${c}`);
            colors.set(c, d.name ?? "?");
          }
          // 4. legend clear of axis titles and tick labels
          const legend = gd.querySelector(".legend");
          if (legend) {
            const lr = rect(legend);
            for (const e of gd.querySelectorAll(".xtitle, .ytitle, .xtick text, .ytick text")) {
              if (overlap(lr, rect(e))) {
                problems.push(`"${title}": legend covers "${e.textContent}"`);
              }
            }
          }
        }
        // 5. sub-year window: CAGR and Calmar cells say n/a
        const cellText = (label: string) =>
          [...document.querySelectorAll("table.rlt-table tr")].find((tr) =>
            tr.querySelector("td")?.textContent === label
          )?.querySelectorAll("td")[1]?.textContent ?? "(row missing)";
        const cagr = cellText("annualised return (CAGR)");
        const calmar = cellText("Calmar");
        // 6. the empty ledger: header, one "no trades" row, caption on one line
        const empty = [...document.querySelectorAll("table.rlt-table")].find((t) =>
          t.querySelector("caption")?.textContent?.includes("0 trades")
        );
        const emptyRows = empty
          ? [...empty.querySelectorAll("tbody tr")].map((t) => t.textContent)
          : [];
        const headers = empty ? empty.querySelectorAll("th").length : 0;
        const cap = empty?.querySelector("caption");
        const capLines = cap
          ? Math.round(rect(cap).height / parseFloat(getComputedStyle(cap).lineHeight || "16"))
          : 0;
        // 7. words split across lines in <pre> text (and a control with break-all)
        const splitWords = (pre: Element): string[] => {
          const out: string[] = [];
          const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
          const width = rect(pre).width;
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const text = n.textContent ?? "";
            const re = /\S+/g;
            for (let m = re.exec(text); m; m = re.exec(text)) {
              const range = document.createRange();
              range.setStart(n, m.index);
              range.setEnd(n, m.index + m[0].length);
              const boxes = [...range.getClientRects()].filter((b) => b.width > 0);
              const total = boxes.reduce((s, b) => s + b.width, 0);
              if (boxes.length > 1 && total < width) out.push(m[0]);
            }
          }
          return out;
        };
        const pres = [...document.querySelectorAll(".jp-OutputArea-output pre")];
        const split = pres.flatMap(splitWords);
        let control: string[] = [];
        if (pres.length) {
          const clone = pres[0].cloneNode(true) as HTMLElement;
          clone.style.wordBreak = "break-all";
          clone.style.overflowWrap = "normal";
          pres[0].parentElement!.appendChild(clone);
          control = splitWords(clone);
          clone.remove();
        }
        return {
          problems,
          plots: plots.length,
          tables,
          cagr,
          calmar,
          emptyRows,
          headers,
          capLines,
          pres: pres.length,
          split,
          control: control.length,
          comparisonText: document.body.textContent?.includes("n/a (window < 1 year)") ?? false,
        };
      });
      assert.deepEqual(r.problems, []);
      assert.equal(r.plots, 5);
      assert.equal(r.tables, 2, "comparison and targets tables checked");
      // "n/a (window < 1 year)", possibly followed by the window measured (": 4.2 days")
      const shortWindow = SHORT_WINDOW_TEXT.slice(0, -1);
      assert.ok(r.cagr.startsWith(shortWindow), r.cagr);
      assert.ok(r.calmar.startsWith(shortWindow), r.calmar);
      assert.ok(r.comparisonText);
      assert.deepEqual(r.emptyRows, ["no trades"]);
      assert.equal(r.headers, 12, "the ledger's columns are shown");
      assert.equal(r.capLines, 1, "the caption is one line");
      assert.ok(r.pres >= 2, `${r.pres} <pre> outputs`);
      assert.deepEqual(r.split, [], "no word split across lines");
      assert.ok(r.control > 0, "the control (break-all) splits words: the probe works");
      await page.close();
    } finally {
      await close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
