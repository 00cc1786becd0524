/**
 * Small standard control tasks used to prove the agents learn (no mocks):
 *
 * - {@link CartPoleEnv}: Gymnasium `CartPole-v1`, same physics (Euler integration, τ = 0.02 s),
 *   same termination (|x| > 2.4, |θ| > 12°), reward 1 per step including the last, 500-step
 *   truncation, start state U(−0.05, 0.05)⁴, float32-rounded observations.
 * - {@link PendulumEnv}: Gymnasium `Pendulum-v1` physics (200-step truncation). Provided for
 *   completeness; it needs ~10⁵–10⁶ steps with PPO, too slow for the test suite.
 * - {@link PointMassEnv}: continuous control used by the learning tests: move a point in the
 *   plane to a random target with a 2-D velocity action in [−1, 1]² (50-step truncation).
 * - {@link OffsetMatchEnv}: a short-horizon Discrete task where a GROUP baseline matters: every
 *   episode adds a large random offset to all rewards, which swamps the 0/1 signal for
 *   baseline-free policy gradients but cancels exactly within a GRPO group (same start state).
 *
 * All implement `cloneState`/`restoreState` (state + PRNG), so GRPO can run groups from the
 * identical state. Observations are owned by the env and overwritten each step.
 *
 * @module
 */
import { EnvError, Rng, type RngState } from "../util/mod.ts";
import { Box, Discrete } from "./spaces.ts";
import type { Env, ResetOptions, ResetResult, StepResult } from "./types.ts";

const F32_MAX = 3.4028234663852886e38;

/** Gymnasium CartPole-v1. Action 0 pushes left, 1 pushes right. */
export class CartPoleEnv implements Env<number> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete = new Discrete(2);
  /** Episode length limit (Gymnasium's TimeLimit for v1): 500 steps. */
  readonly maxEpisodeSteps: number;
  static readonly gravity = 9.8;
  static readonly massCart = 1.0;
  static readonly massPole = 0.1;
  static readonly length = 0.5; // half the pole length
  static readonly forceMag = 10.0;
  static readonly tau = 0.02; // seconds between updates
  /** 12 degrees in radians. */
  static readonly thetaThreshold = 12 * 2 * Math.PI / 360;
  static readonly xThreshold = 2.4;
  #s = new Float64Array(4);
  #obs = new Float64Array(4);
  #steps = 0;
  #done = true;
  #rng = new Rng(0);
  #result: StepResult = {
    observation: this.#obs,
    reward: 0,
    terminated: false,
    truncated: false,
    info: {},
  };

  /** @param options `maxEpisodeSteps` (default 500). */
  constructor(options: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 500;
    const h = [CartPoleEnv.xThreshold * 2, F32_MAX, CartPoleEnv.thetaThreshold * 2, F32_MAX];
    this.observationSpace = new Box(h.map((x) => -x), h);
  }

  #writeObs(): void {
    for (let i = 0; i < 4; i++) this.#obs[i] = Math.fround(this.#s[i]);
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    for (let i = 0; i < 4; i++) this.#s[i] = this.#rng.uniform(-0.05, 0.05);
    this.#steps = 0;
    this.#done = false;
    this.#writeObs();
    return { observation: this.#obs, info: {} };
  }

  step(action: number): StepResult {
    if (this.#done) throw new EnvError("CartPole: step() after the episode ended; call reset()");
    if (action !== 0 && action !== 1) {
      throw new EnvError(`CartPole: action must be 0 or 1, got ${action}`, { parameter: "action" });
    }
    const C = CartPoleEnv;
    const s = this.#s;
    const totalMass = C.massPole + C.massCart;
    const poleMassLength = C.massPole * C.length;
    const force = action === 1 ? C.forceMag : -C.forceMag;
    const cos = Math.cos(s[2]);
    const sin = Math.sin(s[2]);
    const temp = (force + poleMassLength * s[3] * s[3] * sin) / totalMass;
    const thetaAcc = (C.gravity * sin - cos * temp) /
      (C.length * (4.0 / 3.0 - C.massPole * cos * cos / totalMass));
    const xAcc = temp - poleMassLength * thetaAcc * cos / totalMass;
    // Euler kinematics (Gymnasium default)
    s[0] = s[0] + C.tau * s[1];
    s[1] = s[1] + C.tau * xAcc;
    s[2] = s[2] + C.tau * s[3];
    s[3] = s[3] + C.tau * thetaAcc;
    this.#steps++;
    const terminated = s[0] < -C.xThreshold || s[0] > C.xThreshold ||
      s[2] < -C.thetaThreshold || s[2] > C.thetaThreshold;
    const truncated = this.#steps >= this.maxEpisodeSteps;
    this.#done = terminated || truncated;
    this.#writeObs();
    const r = this.#result;
    r.reward = 1;
    r.terminated = terminated;
    r.truncated = truncated;
    return r;
  }

  cloneState(): unknown {
    return {
      s: Array.from(this.#s),
      steps: this.#steps,
      done: this.#done,
      rng: this.#rng.getState(),
    };
  }

  restoreState(state: unknown): void {
    const st = state as { s: number[]; steps: number; done: boolean; rng: RngState };
    this.#s.set(st.s);
    this.#steps = st.steps;
    this.#done = st.done;
    this.#rng.setState(st.rng);
    this.#writeObs();
  }

  render(): string {
    const s = this.#s;
    return `x=${s[0].toFixed(3)} v=${s[1].toFixed(3)} θ=${s[2].toFixed(3)} ω=${s[3].toFixed(3)}`;
  }
}

/** Gymnasium Pendulum-v1: swing up and balance; obs [cos θ, sin θ, θ̇], torque in [−2, 2]. */
export class PendulumEnv implements Env<Float64Array> {
  readonly observationSpace = new Box([-1, -1, -8], [1, 1, 8]);
  readonly actionSpace = new Box([-2], [2]);
  readonly maxEpisodeSteps: number;
  static readonly maxSpeed = 8;
  static readonly maxTorque = 2;
  static readonly dt = 0.05;
  static readonly g = 10.0;
  static readonly m = 1.0;
  static readonly l = 1.0;
  #th = 0;
  #thdot = 0;
  #steps = 0;
  #rng = new Rng(0);
  #obs = new Float64Array(3);
  #result: StepResult = {
    observation: this.#obs,
    reward: 0,
    terminated: false,
    truncated: false,
    info: {},
  };

  /** @param options `maxEpisodeSteps` (default 200). */
  constructor(options: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 200;
  }

  #writeObs(): void {
    this.#obs[0] = Math.fround(Math.cos(this.#th));
    this.#obs[1] = Math.fround(Math.sin(this.#th));
    this.#obs[2] = Math.fround(this.#thdot);
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    this.#th = this.#rng.uniform(-Math.PI, Math.PI);
    this.#thdot = this.#rng.uniform(-1, 1);
    this.#steps = 0;
    this.#writeObs();
    return { observation: this.#obs, info: {} };
  }

  step(action: Float64Array): StepResult {
    const P = PendulumEnv;
    if (!Number.isFinite(action[0])) {
      throw new EnvError(`Pendulum: action must be finite, got ${action[0]}`, {
        parameter: "action",
      });
    }
    const u = Math.min(P.maxTorque, Math.max(-P.maxTorque, action[0]));
    const th = this.#th;
    const thdot = this.#thdot;
    // angle_normalize(x) = ((x + π) mod 2π) − π with Python's non-negative modulo
    const an = ((((th + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
    const cost = an * an + 0.1 * thdot * thdot + 0.001 * u * u;
    let newThdot = thdot +
      (3 * P.g / (2 * P.l) * Math.sin(th) + 3.0 / (P.m * P.l * P.l) * u) * P.dt;
    newThdot = Math.min(P.maxSpeed, Math.max(-P.maxSpeed, newThdot));
    this.#th = th + newThdot * P.dt;
    this.#thdot = newThdot;
    this.#steps++;
    this.#writeObs();
    const r = this.#result;
    r.reward = -cost;
    r.terminated = false;
    r.truncated = this.#steps >= this.maxEpisodeSteps;
    return r;
  }

  cloneState(): unknown {
    return { th: this.#th, thdot: this.#thdot, steps: this.#steps, rng: this.#rng.getState() };
  }

  restoreState(state: unknown): void {
    const st = state as { th: number; thdot: number; steps: number; rng: RngState };
    this.#th = st.th;
    this.#thdot = st.thdot;
    this.#steps = st.steps;
    this.#rng.setState(st.rng);
    this.#writeObs();
  }
}

/**
 * Point mass in the plane: position p ∈ [−1, 1]² and target g ∈ [−1, 1]² drawn at reset;
 * action a ∈ [−1, 1]² (clipped) moves p ← p + 0.1·a; reward −‖p − g‖ after the move (per step,
 * in plane units); observation [g − p, p] (4 values); truncated after 50 steps, never terminated.
 * The best return depends on the start distance (a full-speed straight line to the target);
 * the learning tests compare against that controller, {@link pointMassExpert}.
 */
export class PointMassEnv implements Env<Float64Array> {
  readonly observationSpace = new Box(-4, 4, 4);
  readonly actionSpace = new Box([-1, -1], [1, 1]);
  readonly maxEpisodeSteps: number;
  /** Distance moved per step per unit action. */
  static readonly speed = 0.1;
  #p = new Float64Array(2);
  #g = new Float64Array(2);
  #steps = 0;
  #rng = new Rng(0);
  #obs = new Float64Array(4);
  #result: StepResult = {
    observation: this.#obs,
    reward: 0,
    terminated: false,
    truncated: false,
    info: {},
  };

  /** @param options `maxEpisodeSteps` (default 50). */
  constructor(options: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 50;
  }

  #writeObs(): void {
    this.#obs[0] = this.#g[0] - this.#p[0];
    this.#obs[1] = this.#g[1] - this.#p[1];
    this.#obs[2] = this.#p[0];
    this.#obs[3] = this.#p[1];
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    for (let i = 0; i < 2; i++) {
      this.#p[i] = this.#rng.uniform(-1, 1);
      this.#g[i] = this.#rng.uniform(-1, 1);
    }
    this.#steps = 0;
    this.#writeObs();
    return { observation: this.#obs, info: {} };
  }

  step(action: Float64Array): StepResult {
    let d2 = 0;
    for (let i = 0; i < 2; i++) {
      const a = action[i];
      if (!Number.isFinite(a)) {
        throw new EnvError(`PointMass: action must be finite, got ${a}`, { parameter: "action" });
      }
      this.#p[i] += PointMassEnv.speed * Math.min(1, Math.max(-1, a));
      this.#p[i] = Math.min(2, Math.max(-2, this.#p[i]));
      d2 += (this.#g[i] - this.#p[i]) ** 2;
    }
    this.#steps++;
    this.#writeObs();
    const r = this.#result;
    r.reward = -Math.sqrt(d2);
    r.terminated = false;
    r.truncated = this.#steps >= this.maxEpisodeSteps;
    return r;
  }

  cloneState(): unknown {
    return { p: [...this.#p], g: [...this.#g], steps: this.#steps, rng: this.#rng.getState() };
  }

  restoreState(state: unknown): void {
    const st = state as { p: number[]; g: number[]; steps: number; rng: RngState };
    this.#p.set(st.p);
    this.#g.set(st.g);
    this.#steps = st.steps;
    this.#rng.setState(st.rng);
    this.#writeObs();
  }
}

/**
 * Short-horizon cue matching with a per-episode reward offset. Each step shows a random cue
 * c ∈ {0..K−1} (one-hot, K = `nCues`, default 4) plus the episode's offset b/`offsetScale`;
 * action a ∈ Discrete(K); reward = b + (a = c ? 1 : 0) per step; b ~ U(−`offsetScale`,
 * +`offsetScale`) (default 5) drawn at reset; truncated after `horizon` steps (default 4).
 * Random play earns 1/K per step above the offset, perfect play 1. The offset's variance
 * dwarfs the signal unless a baseline removes it; a GRPO group shares b exactly.
 */
export class OffsetMatchEnv implements Env<number> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete;
  readonly nCues: number;
  readonly horizon: number;
  readonly offsetScale: number;
  #cue = 0;
  #offset = 0;
  #steps = 0;
  #rng = new Rng(0);
  #obs: Float64Array;
  #result: StepResult;

  /** @param options `nCues` (4), `horizon` (4 steps), `offsetScale` (5, reward units). */
  constructor(options: { nCues?: number; horizon?: number; offsetScale?: number } = {}) {
    this.nCues = options.nCues ?? 4;
    this.horizon = options.horizon ?? 4;
    this.offsetScale = options.offsetScale ?? 5;
    this.observationSpace = new Box(-1, 1, this.nCues + 1);
    this.actionSpace = new Discrete(this.nCues);
    this.#obs = new Float64Array(this.nCues + 1);
    this.#result = {
      observation: this.#obs,
      reward: 0,
      terminated: false,
      truncated: false,
      info: {},
    };
  }

  #writeObs(): void {
    this.#obs.fill(0);
    this.#obs[this.#cue] = 1;
    this.#obs[this.nCues] = this.#offset / this.offsetScale;
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.#rng = new Rng(opts.seed);
    this.#offset = this.#rng.uniform(-this.offsetScale, this.offsetScale);
    this.#cue = this.#rng.int(this.nCues);
    this.#steps = 0;
    this.#writeObs();
    return { observation: this.#obs, info: {} };
  }

  step(action: number): StepResult {
    if (!this.actionSpace.contains(action)) {
      throw new EnvError(`OffsetMatch: action must be in 0..${this.nCues - 1}, got ${action}`, {
        parameter: "action",
      });
    }
    const r = this.#result;
    const hit = action === this.#cue;
    r.reward = this.#offset + (hit ? 1 : 0);
    r.info = { hit };
    this.#steps++;
    this.#cue = this.#rng.int(this.nCues);
    this.#writeObs();
    r.terminated = false;
    r.truncated = this.#steps >= this.horizon;
    return r;
  }

  cloneState(): unknown {
    return { cue: this.#cue, offset: this.#offset, steps: this.#steps, rng: this.#rng.getState() };
  }

  restoreState(state: unknown): void {
    const st = state as { cue: number; offset: number; steps: number; rng: RngState };
    this.#cue = st.cue;
    this.#offset = st.offset;
    this.#steps = st.steps;
    this.#rng.setState(st.rng);
    this.#writeObs();
  }
}

/**
 * The optimal {@link PointMassEnv} controller: full speed straight at the target, slowing on
 * the last step. Writes the action for observation `obs` into `out` (2 values in [−1, 1]).
 */
export function pointMassExpert(obs: ArrayLike<number>, out: Float64Array): Float64Array {
  const dx = obs[0];
  const dy = obs[1];
  const d = Math.sqrt(dx * dx + dy * dy);
  const step = PointMassEnv.speed;
  const scale = d > step ? 1 / d : 1 / step;
  // Full speed along the direction (the per-axis clip in the env shortens diagonal moves to
  // their L∞ ball, so scale the larger component to 1).
  const m = Math.max(Math.abs(dx), Math.abs(dy));
  if (m === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (d > step) {
    out[0] = dx / m;
    out[1] = dy / m;
  } else {
    out[0] = dx * scale;
    out[1] = dy * scale;
  }
  return out;
}
