import assert from "node:assert/strict";
import {
  Box,
  CartPoleEnv,
  checkEnv,
  Discrete,
  type Env,
  OffsetMatchEnv,
  PendulumEnv,
  PointMassEnv,
  type ResetResult,
  type StepResult,
} from "../lib/env/mod.ts";
import { EnvError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/prng.ts";

/** A tiny correct env (counts to 10); `flaw` breaks one rule of the contract. */
class ToyEnv implements Env<number> {
  readonly observationSpace = new Box(-1, 1, 2);
  readonly actionSpace = new Discrete(2);
  #obs = new Float64Array(2);
  #t = 0;
  #done = true;
  #rng = new Rng(0);
  #flaw: string;
  constructor(flaw = "") {
    this.#flaw = flaw;
  }
  reset(opts: { seed?: number } = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    this.#t = 0;
    this.#done = false;
    this.#obs[0] = this.#rng.uniform(-0.5, 0.5);
    this.#obs[1] = 0;
    return { observation: this.#obs, info: {} };
  }
  step(a: number): StepResult {
    if (this.#done && this.#flaw !== "no-done-check") throw new EnvError("reset first");
    if (!this.actionSpace.contains(a) && this.#flaw !== "no-action-check") {
      throw new EnvError(`bad action ${a}`);
    }
    this.#t++;
    this.#obs[1] = this.#t / 10;
    if (this.#flaw === "nan" && this.#t === 3) this.#obs[0] = NaN;
    if (this.#flaw === "bounds" && this.#t === 3) this.#obs[0] = 2;
    const noise = this.#flaw === "nondeterministic" ? performance.now() % 1 : 0;
    const truncated = this.#t >= 10;
    this.#done = truncated;
    return {
      observation: this.#flaw === "length" ? new Float64Array(3) : this.#obs,
      reward: a + noise,
      terminated: false,
      truncated,
      info: {},
    };
  }
}

Deno.test("checkEnv accepts a correct env and reports what it checked", () => {
  const r = checkEnv(new ToyEnv(), { steps: 100 });
  assert.equal(r.steps, 100);
  assert.equal(r.episodes, 10);
  assert.deepEqual(r.warnings, ["no cloneState/restoreState"]);
});

Deno.test("checkEnv rejects each broken contract with an EnvError naming the rule", () => {
  const cases: [string, RegExp][] = [
    ["nan", /not finite/],
    ["bounds", /outside/],
    ["length", /length 3/],
    ["nondeterministic", /differ/],
    ["no-done-check", /after terminated\/truncated/],
    ["no-action-check", /outside the space did not throw/],
  ];
  for (const [flaw, msg] of cases) {
    assert.throws(
      () => checkEnv(new ToyEnv(flaw), { steps: 100 }),
      (e: unknown) => e instanceof EnvError && msg.test(e.message),
      flaw,
    );
  }
});

Deno.test("checkEnv passes on the classic-control envs", () => {
  for (
    const env of [new CartPoleEnv(), new PendulumEnv(), new PointMassEnv(), new OffsetMatchEnv()]
  ) {
    // only CartPole rejects step() after the end so far (see the helper report)
    const r = checkEnv(env as Env, {
      steps: 600,
      requireResetAfterEnd: env instanceof CartPoleEnv,
    });
    assert.ok(r.checked.includes("cloneState"));
  }
});
