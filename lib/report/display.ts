/**
 * Jupyter display helpers for the Deno kernel, fully offline.
 *
 * {@link showPlot} returns a value the Deno kernel renders as a rich output (an object with a
 * `Symbol.for("Jupyter.display")` method returning a MIME bundle, i.e. `Deno.jupyter.$display`).
 * The first figure shown in a kernel session carries the whole plotly.js bundle (read from
 * `node_modules/plotly.js-dist-min`) inline in a `<script>`; later figures reuse
 * `window.Plotly`. Saved notebooks and their HTML exports (tools/nb_run.py) therefore draw
 * every chart without any network access: the library travels inside the first figure's
 * output. Nothing emitted here references an `http(s)://` URL (the plotly.js bundle itself
 * contains URL string constants used only by map/geo traces and by links that the default
 * config disables; see tests/notebook_e2e_test.ts).
 *
 * Every output also has a `text/plain` fallback (a one-line summary) for consoles.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import { SERIES_COLORS } from "./_style.ts";

/** A plotly figure: `data` traces, `layout` and an optional plotly `config`. */
export interface PlotlyFigure {
  /** Trace objects (plotly.js schema). Typed arrays are converted to plain arrays. */
  data: Record<string, unknown>[];
  /** Layout object (plotly.js schema). */
  layout?: Record<string, unknown>;
  /** Plotly config (merged over {@link DEFAULT_PLOT_CONFIG}). */
  config?: Record<string, unknown>;
}

/** A MIME bundle as the Jupyter protocol defines it (`"text/html"`, `"text/plain"`, …). */
export type MimeBundle = Record<string, string>;

/** A value the Deno Jupyter kernel displays via `Symbol.for("Jupyter.display")`. */
export interface Displayable {
  /** Returns the MIME bundle to display. */
  [key: symbol]: () => MimeBundle;
  /** The MIME bundle (computed once, on first access or display). */
  readonly bundle: MimeBundle;
}

/** The symbol the Deno kernel looks for (`Deno.jupyter.$display`). */
export const JUPYTER_DISPLAY: symbol = Symbol.for("Jupyter.display");

/** Plotly config applied to every figure: no logo, no cloud links, responsive width. */
export const DEFAULT_PLOT_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  responsive: true,
  displaylogo: false,
  showLink: false,
  showSendToCloud: false,
  showEditInChartStudio: false,
});

/** Options of {@link showPlot}. */
export interface ShowPlotOptions {
  /**
   * Force (true) or suppress (false) embedding plotly.js in this output. Default: embed in the
   * first figure of the session only. Force it when re-running a single cell in a new page; an explicit value does not change
   * whether the session counts the library as embedded.
   */
  includeLibrary?: boolean;
  /** Figure height in CSS pixels when the layout does not set one. Default 420. */
  height?: number;
  /** One-line text shown in consoles (`text/plain`). Default: built from the title/traces. */
  textSummary?: string;
}

const session = { counter: 0, libraryEmitted: false };
let plotlySource: string | undefined;

/**
 * Resets the per-session state: the next figure embeds plotly.js again and div ids restart
 * at 1. Only needed when the same kernel session produces several independent documents
 * (tests).
 */
export function resetPlotlyEmbedding(): void {
  session.counter = 0;
  session.libraryEmitted = false;
}

/**
 * Reads the plotly.js bundle (`plotly.min.js`) from the project's node_modules.
 * @throws ConfigError when the package is not installed (run `deno task setup`).
 */
export function plotlyJsSource(): string {
  if (plotlySource !== undefined) return plotlySource;
  const url = new URL(
    "../../node_modules/plotly.js-dist-min/plotly.min.js",
    import.meta.url,
  );
  try {
    plotlySource = Deno.readTextFileSync(url);
  } catch (e) {
    throw new ConfigError(
      `cannot read plotly.js from ${url.pathname}: ${(e as Error).message}`,
      { file: url.pathname },
      "install the npm dependencies with `deno task setup` (or `deno install`)",
    );
  }
  if (/<\/script/i.test(plotlySource)) {
    // Would end the inline <script> early; never the case for plotly.js-dist-min 4.x.
    throw new ConfigError("plotly.min.js contains '</script' and cannot be inlined", {
      file: url.pathname,
    });
  }
  return plotlySource;
}

/** Creates a displayable value from a ready MIME bundle (computed lazily, once). */
export function displayable(make: () => MimeBundle): Displayable {
  let cached: MimeBundle | undefined;
  const get = (): MimeBundle => (cached ??= make());
  return {
    [JUPYTER_DISPLAY]: get,
    get bundle(): MimeBundle {
      return get();
    },
  };
}

/** JSON for embedding inside a `<script>`: typed arrays → arrays, NaN/±Inf → null. */
export function scriptSafeJson(value: unknown): string {
  const json = JSON.stringify(value, (_k, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number>, (x) => Number.isFinite(x) ? x : null);
    }
    if (v instanceof Date) return v.toISOString();
    return v;
  });
  return json
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * plotly.js ≥ 3 ignores the old string shorthand `title: "…"`; rewrite it (on the layout and
 * on every axis) as `title: { text: "…" }` so both spellings work.
 */
function normaliseTitles(layout: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(layout)) {
    if (key === "title" && typeof value === "string") layout.title = { text: value };
    else if (/^[xy]axis\d*$/.test(key) && value && typeof value === "object") {
      const axis = { ...(value as Record<string, unknown>) };
      if (typeof axis.title === "string") axis.title = { text: axis.title };
      layout[key] = axis;
    }
  }
  return layout;
}

function figureSummary(fig: PlotlyFigure): string {
  const layout = fig.layout ?? {};
  const t = layout.title;
  const title = typeof t === "string"
    ? t
    : (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string")
    ? (t as { text: string }).text
    : "untitled";
  const traces = fig.data.map((d) => {
    const n = (d.y ?? d.close ?? d.values ?? d.z ?? d.x) as ArrayLike<unknown> | undefined;
    return `${String(d.name ?? d.type ?? "trace")}${
      n?.length !== undefined ? `[${n.length}]` : ""
    }`;
  });
  return `<plotly figure "${title}": ${traces.join(", ")}>`;
}

/**
 * Shows a plotly figure in a Deno Jupyter notebook, offline. Make it the last expression of
 * a cell (or pass it to `Deno.jupyter.display`).
 *
 * The HTML is `<div id="rlt-plot-N">` plus a script calling `Plotly.newPlot`; N counts figures
 * in this kernel session (deterministic). The first figure of the session also carries
 * plotly.js inline.
 */
export function showPlot(figure: PlotlyFigure, options: ShowPlotOptions = {}): Displayable {
  return displayable(() => {
    if (!figure || !Array.isArray(figure.data)) {
      throw new ConfigError("showPlot needs a figure { data: [...], layout?, config? }", {
        parameter: "figure",
      });
    }
    const withLib = options.includeLibrary ?? !session.libraryEmitted;
    const lib = withLib ? plotlyJsSource() : "";
    // an explicit includeLibrary (e.g. a figure for a standalone HTML file) leaves the session's
    // state alone: the notebook's own next figure still carries plotly.js if none has yet
    if (withLib && options.includeLibrary === undefined) session.libraryEmitted = true;
    const id = `rlt-plot-${++session.counter}`;
    const layout = normaliseTitles({ ...(figure.layout ?? {}) });
    const height = typeof layout.height === "number" ? layout.height : (options.height ?? 420);
    layout.height = height;
    // more distinct default colours than plotly's ten (traces without an explicit colour)
    layout.colorway ??= [...SERIES_COLORS];
    const config = { ...DEFAULT_PLOT_CONFIG, ...(figure.config ?? {}) };
    const parts: string[] = [];
    if (withLib) {
      parts.push(
        `<script type="text/javascript" data-rlt-plotly-lib="1">window.PlotlyConfig={MathJaxConfig:"local"};\n${lib}\n</script>`,
      );
    }
    parts.push(
      `<div id="${id}" class="rlt-plot" style="width:100%;min-height:${height}px"></div>`,
      `<script type="text/javascript">(function(){` +
        `var s=document.currentScript;` +
        `var el=(s&&s.parentNode&&s.parentNode.querySelector("#${id}"))||document.getElementById("${id}");` +
        `var fig=${scriptSafeJson({ data: figure.data, layout, config })};` +
        `function draw(){if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);return true}return false}` +
        `if(!draw()){var n=0;var t=setInterval(function(){if(draw()||++n>100){clearInterval(t);` +
        `if(!window.Plotly){el.textContent="plotly.js is not loaded on this page: re-run the notebook from the top (or use showPlot(fig, {includeLibrary: true}))."}}},50)}` +
        `})();</script>`,
    );
    return {
      "text/html": parts.join("\n"),
      "text/plain": options.textSummary ?? figureSummary(figure),
    };
  });
}

/**
 * Rows for {@link showTable} that may carry their own column order and the text shown when
 * there are no rows (e.g. the trade ledger: its columns and "no trades").
 */
export type TableRows = Record<string, unknown>[] & {
  /** Column order when `options.columns` is not given. */
  columns?: string[];
  /** Text of the single row shown when there are no rows. */
  emptyText?: string;
};

/** Options of {@link showTable}. */
export interface ShowTableOptions {
  /** Column order (default: keys of the first row, then any new keys in order of appearance). */
  columns?: string[];
  /** Digits after the decimal point for non-integer numbers. Default 6 significant digits. */
  digits?: number;
  /** Maximum rows rendered (the rest is summarised). Default 200. */
  maxRows?: number;
  /** Optional caption above the table. */
  caption?: string;
  /** Text of the single row shown when there are no rows (default "no rows"). */
  emptyText?: string;
}

function formatCell(v: unknown, digits: number | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (Number.isInteger(v)) return String(v);
    return digits !== undefined ? v.toFixed(digits) : String(Number(v.toPrecision(6)));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * Shows rows (plain objects) as an HTML table with a fixed-width text fallback.
 * Numbers are shown with 6 significant digits unless `digits` is given; NaN as "NaN".
 */
export function showTable(
  rows: readonly Record<string, unknown>[],
  options: ShowTableOptions = {},
): Displayable {
  return displayable(() => {
    const meta = rows as Partial<Pick<TableRows, "columns" | "emptyText">>;
    const columns = options.columns ?? meta.columns ??
      [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const emptyText = options.emptyText ?? meta.emptyText ?? "no rows";
    const maxRows = options.maxRows ?? 200;
    const shown = rows.slice(0, maxRows);
    const cells = shown.map((r) => columns.map((c) => formatCell(r[c], options.digits)));
    // Numeric columns align right, text columns left.
    const numeric = columns.map((c) =>
      shown.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === "number")
    );
    const align = (j: number) => (numeric[j] ? "right" : "left");
    const more = rows.length > shown.length ? `… ${rows.length - shown.length} more rows` : "";
    const html = [
      // table-layout:auto and a left margin override notebook CSS (JupyterLab's fixed layout
      // squeezes an empty table's caption into one narrow column and centres tables)
      `<table class="rlt-table" style="border-collapse:collapse;font-family:monospace;font-size:12px;table-layout:auto;margin-left:0;margin-right:auto">`,
      options.caption
        ? `<caption style="text-align:left;white-space:nowrap">${
          escapeHtml(options.caption)
        }</caption>`
        : "",
      `<thead><tr>${
        columns.map((c, j) =>
          `<th style="text-align:${align(j)};padding:2px 8px;border-bottom:1px solid #999">${
            escapeHtml(c)
          }</th>`
        ).join("")
      }</tr></thead>`,
      `<tbody>${
        cells.length === 0
          ? `<tr><td colspan="${Math.max(1, columns.length)}" ` +
            `style="text-align:left;padding:2px 8px;font-style:italic">${
              escapeHtml(emptyText)
            }</td></tr>`
          : ""
      }${
        cells.map((r) =>
          `<tr>${
            r.map((v, j) =>
              `<td style="text-align:${align(j)};padding:2px 8px">${escapeHtml(v)}</td>`
            )
              .join("")
          }</tr>`
        ).join("")
      }</tbody></table>`,
      more ? `<div style="font-size:11px">${escapeHtml(more)}</div>` : "",
    ].join("");
    const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
    const line = (vals: string[]) =>
      vals.map((v, j) => numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j])).join("  ")
        .trimEnd();
    const text = [
      ...(options.caption ? [options.caption] : []),
      line(columns),
      ...cells.map(line),
      ...(cells.length === 0 ? [`(${emptyText})`] : []),
      ...(more ? [more] : []),
    ].join("\n");
    return { "text/html": html, "text/plain": text };
  });
}

/** Shows a heading/paragraph of Markdown-free text as HTML (escaped) with a text fallback. */
export function showText(text: string, options: { heading?: boolean } = {}): Displayable {
  return displayable(() => ({
    "text/html": options.heading
      ? `<h3>${escapeHtml(text)}</h3>`
      // wrap long lines between words (JupyterLab's CSS breaks <pre> text mid-word)
      : `<pre style="white-space:pre-wrap;word-break:normal;overflow-wrap:break-word">${
        escapeHtml(text)
      }</pre>`,
    "text/plain": text,
  }));
}
