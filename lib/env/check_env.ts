/**
 * `checkEnv`: a contract checker for {@link Env} implementations, after Stable-Baselines3's
 * `check_env`. It throws an {@link EnvError} naming the first violated rule.
 *
 * @module
 */
import { EnvError, Rng } from "../util/mod.ts";
import { Box, Discrete } from "./spaces.ts";
import type { Env, StepResult } from "./types.ts";

/** Options of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** Random steps to take (resetting at episode ends). Default 2000. */
  steps?: number;
  /** Seed for the reset seeds and the random actions. Default 0. */
  seed?: number;
  /** Steps compared in the determinism check. Default 200. */
  determinismSteps?: number;
  /** Require out-of-space and NaN actions to throw. Default true. */
  strictActions?: boolean;
  /** Require `step()` after terminated/truncated (without reset) to throw. Default true. */
  requireResetAfterEnd?: boolean;
}

/** What {@link checkEnv} exercised. */
export interface CheckEnvReport {
  /** Steps taken in the random-action phase. */
  steps: number;
  /** Episodes that ended (terminated or truncated) during those steps. */
  episodes: number;
  /** Optional methods found and checked. */
  checked: string[];
  /** Non-fatal remarks (e.g. an optional method missing). */
  warnings: string[];
}

function fail(rule: string, hint?: string): never {
  throw new EnvError(`checkEnv: ${rule}`, { parameter: "env" }, hint);
}

function checkObs(env: Env, obs: unknown, where: string): void {
  const space = env.observationSpace;
  if (!(obs instanceof Float64Array)) fail(`${where}: observation is not a Float64Array`);
  if (obs.length !== space.size) {
    fail(`${where}: observation length ${obs.length} ≠ observationSpace.size ${space.size}`);
  }
  for (let i = 0; i < obs.length; i++) {
    const v = obs[i];
    if (!Number.isFinite(v)) fail(`${where}: observation[${i}] = ${v} is not finite`);
    if (v < space.low[i] || v > space.high[i]) {
      fail(
        `${where}: observation[${i}] = ${v} outside [${space.low[i]}, ${space.high[i]}]`,
        "clip the observation or widen the Box",
      );
    }
  }
}

function checkStep(env: Env, r: StepResult, where: string): void {
  if (r === null || typeof r !== "object") fail(`${where}: step() did not return an object`);
  checkObs(env, r.observation, where);
  if (typeof r.reward !== "number" || !Number.isFinite(r.reward)) {
    fail(`${where}: reward ${r.reward} is not a finite number`);
  }
  if (typeof r.terminated !== "boolean" || typeof r.truncated !== "boolean") {
    fail(`${where}: terminated/truncated must be booleans`);
  }
  if (r.info === null || typeof r.info !== "object") fail(`${where}: info is not an object`);
}

function randomAction(env: Env, rng: Rng): number | Float64Array {
  const sp = env.actionSpace;
  return sp.kind === "discrete" ? sp.sample(rng) : sp.sample(rng);
}

function sameArrays(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Run `n` seeded random steps from `reset({seed})`, returning obs and rewards concatenated. */
function rollout(env: Env, seed: number, n: number): Float64Array {
  const d = env.observationSpace.size;
  const out = new Float64Array((n + 1) * (d + 1));
  const rng = new Rng(seed + 1);
  let r = env.reset({ seed });
  out.set(r.observation, 0);
  for (let k = 1; k <= n; k++) {
    const s = env.step(randomAction(env, rng) as never);
    out.set(s.observation, k * (d + 1));
    out[k * (d + 1) + d] = s.reward;
    if (s.terminated || s.truncated) {
      r = env.reset();
      out.set(r.observation, k * (d + 1));
    }
  }
  return out;
}

/**
 * Check an env against the {@link Env} contract: spaces and their types, observation dtype
 * (Float64Array), shape, finiteness and bounds after reset and every step; the step result's
 * types; stepping after the end throws until reset; bad actions throw (unless
 * `strictActions: false`); the same seed gives identical rollouts; `actionMask`,
 * `cloneState`/`restoreState` and `render` when present. Throws {@link EnvError}.
 */
export function checkEnv(env: Env, options: CheckEnvOptions = {}): CheckEnvReport {
  const steps = options.steps ?? 2000;
  const seed = options.seed ?? 0;
  const detSteps = options.determinismSteps ?? 200;
  const strict = options.strictActions ?? true;
  const strictEnd = options.requireResetAfterEnd ?? true;
  const report: CheckEnvReport = { steps: 0, episodes: 0, checked: [], warnings: [] };

  // ---- spaces
  if (!(env.observationSpace instanceof Box)) fail("observationSpace must be a Box");
  const as = env.actionSpace;
  if (!(as instanceof Discrete) && !(as instanceof Box)) {
    fail("actionSpace must be a Discrete or a Box");
  }
  if (env.observationSpace.size < 1) fail("observationSpace must have at least one dimension");

  // ---- reset
  const r0 = env.reset({ seed });
  if (r0 === null || typeof r0 !== "object") fail("reset() did not return an object");
  checkObs(env, r0.observation, "reset");
  if (r0.info === null || typeof r0.info !== "object") fail("reset: info is not an object");

  // ---- bad actions: out-of-range / non-integer / NaN must throw (fatal); for Box spaces a
  // wrong-length action should throw too (a warning only, since clipping envs often skip it)
  if (strict) {
    const fatal: unknown[] = as.kind === "discrete"
      ? [as.n, -1, 0.5, NaN]
      : [new Float64Array(as.size).fill(NaN)];
    const soft: unknown[] = as.kind === "discrete" ? [] : [new Float64Array(as.size + 1)];
    const throws = (b: unknown): boolean => {
      try {
        env.step(b as never);
      } catch (e) {
        if (!(e instanceof Error)) fail(`step(${String(b)}) threw a non-Error`);
        return true;
      }
      return false;
    };
    for (const b of fatal) {
      env.reset({ seed });
      if (!throws(b)) {
        fail(
          `step(${String(b)}) with an action outside the space did not throw`,
          "validate actions and throw an EnvError",
        );
      }
    }
    for (const b of soft) {
      env.reset({ seed });
      if (!throws(b)) {
        report.warnings.push(`a Box action of length ${(b as Float64Array).length} was accepted`);
      }
    }
    env.reset({ seed });
  }

  // ---- random rollout with masks
  const rng = new Rng(seed + 7);
  const mask = as.kind === "discrete" ? new Uint8Array(as.n) : null;
  if (env.actionMask && mask) report.checked.push("actionMask");
  let endedOnce = false;
  for (let k = 0; k < steps; k++) {
    if (env.actionMask && mask) {
      mask.fill(7);
      env.actionMask(mask);
      let any = false;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] !== 0 && mask[i] !== 1) fail(`actionMask wrote ${mask[i]} at ${i}`);
        if (mask[i] === 1) any = true;
      }
      if (!any) fail("actionMask allows no action");
    }
    const r = env.step(randomAction(env, rng) as never);
    checkStep(env, r, `step ${k}`);
    report.steps++;
    if (r.terminated || r.truncated) {
      report.episodes++;
      if (!endedOnce && strictEnd) {
        let threw = false;
        try {
          env.step(randomAction(env, rng) as never);
        } catch {
          threw = true;
        }
        if (!threw) {
          fail("step() after terminated/truncated did not throw", "require reset() first");
        }
      } else if (!endedOnce) {
        report.warnings.push("step() after the end was not checked");
      }
      endedOnce = true;
      checkObs(env, env.reset().observation, `reset after step ${k}`);
    }
  }
  if (!endedOnce) report.warnings.push(`no episode ended within ${steps} steps`);

  // ---- determinism
  const a = rollout(env, seed + 11, detSteps);
  const b = rollout(env, seed + 11, detSteps);
  if (!sameArrays(a, b)) {
    fail(
      "two rollouts from reset({ seed }) with the same actions differ",
      "draw every random number from the env's seeded Rng",
    );
  }

  // ---- clone/restore
  if (env.cloneState && env.restoreState) {
    report.checked.push("cloneState");
    env.reset({ seed: seed + 3 });
    const arng = new Rng(seed + 5);
    for (let k = 0; k < 10; k++) {
      const s = env.step(randomAction(env, arng) as never);
      if (s.terminated || s.truncated) env.reset();
    }
    const snap = env.cloneState();
    const actions: (number | Float64Array)[] = [];
    for (let k = 0; k < 50; k++) actions.push(randomAction(env, arng));
    const run = (): Float64Array => {
      const d = env.observationSpace.size;
      const out = new Float64Array(actions.length * (d + 1));
      for (let k = 0; k < actions.length; k++) {
        const s = env.step(actions[k] as never);
        out.set(s.observation, k * (d + 1));
        out[k * (d + 1) + d] = s.reward;
        if (s.terminated || s.truncated) env.reset();
      }
      return out;
    };
    const first = run();
    env.restoreState(snap);
    const second = run();
    if (!sameArrays(first, second)) {
      fail(
        "restoreState(cloneState()) does not reproduce the same trajectory",
        "include every piece of state (incl. the PRNG) in the snapshot",
      );
    }
  } else {
    report.warnings.push("no cloneState/restoreState");
  }

  if (env.render) {
    report.checked.push("render");
    if (typeof env.render() !== "string") fail("render() must return a string");
  }
  env.reset({ seed });
  return report;
}
