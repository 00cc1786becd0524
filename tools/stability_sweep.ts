/**
 * `deno run -A tools/stability_sweep.ts --config presets/synthetic-ppo-stable.json
 *   [--seeds 0,1,2,3,4] [--out /tmp/sweep] [--data synthetic] [--timesteps N]
 *   [--split 0.7,0.15,0.15]`
 *
 * Trains one PPO run per seed exactly as
 * `deno task train --preset <p> --config <file> --seed <s> --out <out>/s<s>` would (the
 * preset's option values under the config file's; the same `trainRun`), but builds the data
 * pipeline ONCE with the ML signals cached (`tools/_cached_setup.ts`), then backtests the
 * FINAL and the BEST-by-validation model of each run on the validation and the held-out test
 * split. Prints one JSON line per seed and a closing JSON summary line:
 * `{ seeds, ruinedFinal, maxSharpeGap, … }` where a run is ruined when its backtest ended
 * early (equity ruin or liquidation) or lost ≥ 50 %.
 *
 * Supported config keys (same names and meaning as `deno task train`): preset, timesteps,
 * n-envs, norm-obs, norm-reward, hidden, episode-length, lr, anneal-lr, n-steps, batch-size,
 * n-epochs, gamma, gae-lambda, clip-range, clip-range-vf, ent-coef, vf-coef, max-grad-norm,
 * target-kl, eval-freq, metric, reward (object form); anything else is rejected.
 *
 * Temporary: `deno task evaluate` (issue 20) replaces the evaluation half of this script.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, runCli } from "../lib/util/errors.ts";
import { trainRun, type TrainRunOptions } from "../lib/agents/train_run.ts";
import { mergeRewardOverrides, tradingPreset } from "../lib/agents/presets.ts";
import { loadRun } from "../lib/agents/run.ts";
import { backtest } from "../lib/backtest/mod.ts";
import type { RewardOverrides } from "../lib/env/reward.ts";
import { presetOptionValues } from "../cli/train.ts";
import { cachedTradingSetup } from "./_cached_setup.ts";

const KNOWN = new Set([
  "preset",
  "agent",
  "timesteps",
  "n-envs",
  "norm-obs",
  "norm-reward",
  "hidden",
  "episode-length",
  "lr",
  "anneal-lr",
  "n-steps",
  "batch-size",
  "n-epochs",
  "gamma",
  "gae-lambda",
  "clip-range",
  "clip-range-vf",
  "ent-coef",
  "vf-coef",
  "max-grad-norm",
  "target-kl",
  "eval-freq",
  "metric",
  "reward",
]);

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string" },
      seeds: { type: "string", default: "0,1,2,3,4" },
      out: { type: "string", default: "/tmp/stability-sweep" },
      data: { type: "string", default: "synthetic" },
      timesteps: { type: "string" },
      "eval-freq": { type: "string" },
      split: { type: "string" },
    },
  });
  const file: Record<string, unknown> = values.config
    ? JSON.parse(await Deno.readTextFile(values.config))
    : {};
  for (const k of Object.keys(file)) {
    if (k.startsWith("_")) continue; // comments
    if (!KNOWN.has(k)) {
      throw new ConfigError(`unsupported config key "${k}"`, {
        file: values.config,
        parameter: k,
      });
    }
  }
  const presetName = String(file.preset ?? "synthetic-ppo");
  const preset = tradingPreset(presetName);
  const v = presetOptionValues(preset);
  for (const [k, val] of Object.entries(file)) {
    if (!k.startsWith("_") && k !== "reward") v.set(k, val);
  }
  if (values.timesteps) v.set("timesteps", Number(values.timesteps));
  if (values["eval-freq"]) v.set("eval-freq", Number(values["eval-freq"]));
  const reward = mergeRewardOverrides(preset.reward, (file.reward ?? {}) as RewardOverrides);
  const get = <T>(k: string): T | undefined => v.get(k) as T | undefined;
  const episodeLength = get<number>("episode-length") ?? 2048;
  const fr = values.split?.split(",").map(Number);
  const split = fr ? { train: fr[0], validation: fr[1], test: fr[2] } : undefined;
  const base = await cachedTradingSetup({ data: values.data, reward, episodeLength, split });
  const seeds = values.seeds!.split(",").map(Number);
  const rows: Record<string, unknown>[] = [];
  for (const seed of seeds) {
    const out = `${values.out}/s${seed}`;
    const opts: TrainRunOptions = {
      agent: "ppo",
      timesteps: get<number>("timesteps")!,
      seed,
      out,
      nEnvs: get<number>("n-envs") ?? 1,
      evalFreq: get<number>("eval-freq") ?? 10_000,
      checkpointFreq: 0,
      metric: (get<string>("metric") ?? "sharpe") as "sharpe" | "mean_return",
      hidden: get<number[]>("hidden") ?? [64, 64],
      normObs: get<boolean>("norm-obs") ?? false,
      normReward: get<boolean>("norm-reward") ?? false,
      progress: false,
      preset: presetName,
      hyper: {
        learningRate: get<number>("lr"),
        annealLr: get<boolean>("anneal-lr") ?? false,
        nSteps: get<number>("n-steps"),
        batchSize: get<number>("batch-size"),
        nEpochs: get<number>("n-epochs"),
        gamma: get<number>("gamma"),
        gaeLambda: get<number>("gae-lambda"),
        clipRange: get<number>("clip-range"),
        clipRangeVf: get<number | null>("clip-range-vf") ?? null,
        entCoef: get<number>("ent-coef"),
        vfCoef: get<number>("vf-coef"),
        maxGradNorm: get<number>("max-grad-norm"),
        targetKl: get<number | null>("target-kl") ?? null,
      },
      setup: base,
      config: { ...Object.fromEntries(v), reward, seed },
      log: () => {},
    };
    for (const [k, val] of Object.entries(opts.hyper!)) {
      if (val === undefined) delete (opts.hyper as Record<string, unknown>)[k];
    }
    const t0 = performance.now();
    const res = await trainRun(opts);
    const logs = res.train.logs;
    const last = logs[logs.length - 1] as unknown as Record<string, number | null>;
    const row: Record<string, unknown> = {
      seed,
      seconds: Math.round((performance.now() - t0) / 1000),
      entropyEnd: last?.entropy ?? null,
      explainedVarianceEnd: last?.explainedVariance ?? null,
      approxKlEnd: last?.approxKl ?? null,
    };
    for (const which of ["final", "best"] as const) {
      let loaded;
      try {
        loaded = await loadRun(res.runDir, { which });
      } catch {
        row[which] = null;
        continue;
      }
      const r: Record<string, unknown> = {};
      for (const split of ["validation", "test"] as const) {
        const bt = backtest(loaded.policy, base.makeEvalEnv(split), {
          periodsPerYear: base.periodsPerYear,
        });
        const m = bt.metrics;
        r[split] = {
          ret: round(m.totalReturn),
          sharpe: m.sharpe === null ? null : round(m.sharpe),
          maxDD: round(m.maxDrawdown),
          trades: bt.trades.length,
          exposure: m.exposure === null ? null : round(m.exposure),
          ruined: bt.terminated || m.totalReturn <= -0.5,
        };
      }
      row[which] = r;
    }
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  type S = { ret: number; sharpe: number | null; ruined: boolean };
  const pick = (r: Record<string, unknown>, w: string, s: string) =>
    ((r[w] as Record<string, S> | null)?.[s]) ?? null;
  const gaps = rows.map((r) => {
    const f = pick(r, "final", "test")?.sharpe ?? null;
    const b = pick(r, "best", "test")?.sharpe ?? null;
    return f === null || b === null ? null : round(f - b);
  });
  console.log(JSON.stringify({
    summary: true,
    config: values.config ?? null,
    preset: presetName,
    seeds,
    ruinedFinal: rows.filter((r) =>
      pick(r, "final", "validation")?.ruined || pick(r, "final", "test")?.ruined
    ).length,
    ruinedBest: rows.filter((r) =>
      pick(r, "best", "validation")?.ruined || pick(r, "best", "test")?.ruined
    ).length,
    finalMinusBestTestSharpe: gaps,
    meanFinalTestSharpe: round(mean(rows.map((r) => pick(r, "final", "test")?.sharpe ?? 0))),
    meanBestTestSharpe: round(mean(rows.map((r) => pick(r, "best", "test")?.sharpe ?? 0))),
  }));
}

function mean(a: number[]): number {
  return a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

if (import.meta.main) await runCli(main);
