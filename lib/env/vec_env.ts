/**
 * Synchronous vectorised env: N envs stepped together on shared typed buffers, with
 * same-step auto-reset (the final observation and info are kept).
 *
 * @module
 */
import type { Env, Info, ResetOptions, VecEnv } from "./types.ts";
import type { Box, Discrete } from "./spaces.ts";
import { EnvError } from "../util/mod.ts";

/** N sub-envs stepped in lockstep on one `Float64Array(N × obsDim)`. */
export class SyncVecEnv implements VecEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  readonly observations: Float64Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObservations: Float64Array;
  readonly finalInfos: (Info | undefined)[];
  readonly envs: readonly Env[];
  readonly #actDim: number;
  readonly #actBuf: Float64Array[];

  /** @param envs sub-envs with identical spaces. */
  constructor(envs: Env[]) {
    if (envs.length === 0) throw new RangeError("SyncVecEnv needs at least one env");
    this.envs = envs;
    this.numEnvs = envs.length;
    this.observationSpace = envs[0].observationSpace;
    this.actionSpace = envs[0].actionSpace;
    this.obsDim = this.observationSpace.size;
    this.#actDim = this.actionSpace.kind === "box" ? this.actionSpace.size : 1;
    for (const e of envs) {
      if (e.observationSpace.size !== this.obsDim || e.actionSpace.kind !== this.actionSpace.kind) {
        throw new RangeError("SyncVecEnv sub-envs must share observation and action spaces");
      }
    }
    this.observations = new Float64Array(this.numEnvs * this.obsDim);
    this.finalObservations = new Float64Array(this.numEnvs * this.obsDim);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    this.finalInfos = new Array(this.numEnvs).fill(undefined);
    this.#actBuf = envs.map(() => new Float64Array(this.#actDim));
  }

  reset(opts: ResetOptions = {}): Float64Array {
    for (let i = 0; i < this.numEnvs; i++) {
      const r = this.envs[i].reset({
        seed: opts.seed === undefined ? undefined : opts.seed + i,
        options: opts.options,
      });
      this.observations.set(r.observation, i * this.obsDim);
      this.finalInfos[i] = undefined;
    }
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.rewards.fill(0);
    return this.observations;
  }

  step(actions: ArrayLike<number>): void {
    const d = this.obsDim;
    const box = this.actionSpace.kind === "box";
    if (actions.length !== this.numEnvs * this.#actDim) {
      throw new EnvError(
        `SyncVecEnv.step got ${actions.length} action values, expected ${
          this.numEnvs * this.#actDim
        } (numEnvs ${this.numEnvs} × action size ${this.#actDim})`,
        { parameter: "actions" },
      );
    }
    if (!box) {
      // validate every action before stepping any sub-env, so a bad batch changes nothing
      const n = (this.actionSpace as Discrete).n;
      for (let i = 0; i < this.numEnvs; i++) {
        const a = actions[i];
        if (!(a >= 0 && a < n && (a | 0) === a)) {
          throw new EnvError(`action ${a} of sub-env ${i} is not in Discrete(${n})`, {
            parameter: "actions",
          });
        }
      }
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      let r;
      if (box) {
        const a = this.#actBuf[i];
        for (let k = 0; k < this.#actDim; k++) a[k] = actions[i * this.#actDim + k];
        r = env.step(a);
      } else {
        r = env.step(actions[i]);
      }
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        this.finalObservations.set(r.observation, i * d);
        this.finalInfos[i] = { ...r.info }; // a copy: envs reuse their info object
        const rr = env.reset();
        this.observations.set(rr.observation, i * d);
      } else {
        this.finalInfos[i] = undefined;
        this.observations.set(r.observation, i * d);
      }
    }
  }

  actionMasks(out: Uint8Array): void {
    if (this.actionSpace.kind !== "discrete") {
      throw new RangeError("action masks need a Discrete action space");
    }
    const n = this.actionSpace.n;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      const row = out.subarray(i * n, (i + 1) * n);
      if (env.actionMask) env.actionMask(row);
      else row.fill(1);
    }
  }
}
