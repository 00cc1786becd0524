/**
 * Shared figure style (internal): trace colours and legend placement, so no two traces of
 * one chart share a colour and legends never cover axis titles or date labels.
 *
 * @module
 */

/**
 * 22 distinguishable colours (plotly's Dark24 minus its two near-black entries), the first
 * ten close to the classic category10 hues' order of contrast.
 */
export const SERIES_COLORS: readonly string[] = Object.freeze([
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#2e91e5",
  "#e15f99",
  "#1ca71c",
  "#fb0d0d",
  "#da16ff",
  "#b68100",
  "#750d86",
  "#eb663b",
  "#511cfb",
  "#00a08b",
  "#fc0080",
  "#6c7c32",
]);

/**
 * Colour of trace `i` of `n`: the palette while it lasts, else `n` hues evenly spaced around
 * the colour wheel (every trace still distinct).
 */
export function traceColor(i: number, n: number): string {
  if (n <= SERIES_COLORS.length) return SERIES_COLORS[i];
  const h = Math.round((360 * i) / n);
  return `hsl(${h}, 70%, ${i % 2 === 0 ? 42 : 55}%)`;
}

/**
 * Legend to the right of the plot, top-aligned (plotly widens the right margin for it): a
 * horizontal legend below the plot sits on the x-axis title and a date axis's year labels.
 */
export const LEGEND_RIGHT: Readonly<Record<string, unknown>> = Object.freeze({
  orientation: "v",
  x: 1.02,
  xanchor: "left",
  y: 1,
  yanchor: "top",
});
