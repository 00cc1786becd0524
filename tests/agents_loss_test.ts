/**
 * The algorithms' losses (`PpoLoss`, `A2cLoss`, `GrpoLoss`) on their own: the derivatives each
 * writes for the engines (dLoss/dlogπ, dLoss/dH, dLoss/dV per sample) against central finite
 * differences of the loss it reports (float64). The engines trust these derivatives (the fast
 * engine chains them analytically, the tfjs engine differentiates a surrogate built from them),
 * so this is the test that catches a wrong sign, a missing factor or a wrong branch of a clip
 * in a loss; `agents_fast_grad_test.ts` then checks the chain through heads and networks, and
 * `agents_crosscheck_test.ts` checks that against tfjs autodiff.
 *
 * Cannot catch: a loss whose formula differs from the paper's but is self-consistent (the
 * learning tests and the hand-computed values in `agents_fast_unit_test.ts` cover that).
 */
import assert from "node:assert/strict";
import { Rng } from "../lib/util/prng.ts";
import type { LossGradients, LossInputs } from "../lib/agents/engines/engine.ts";
import { createMinibatch } from "../lib/agents/buffer.ts";
import { type LossCase, lossOf } from "./agents_loss_cases.ts";

const SIZE = 13;

function inputsAndBatch(seed: number) {
  const rng = new Rng(seed);
  const mb = createMinibatch(SIZE, 1, { refLogProb: true });
  mb.size = SIZE;
  const inputs: LossInputs = {
    size: SIZE,
    logProb: new Float64Array(SIZE),
    entropy: new Float64Array(SIZE),
    value: new Float64Array(SIZE),
  };
  for (let i = 0; i < SIZE; i++) {
    inputs.logProb[i] = -1 + 0.3 * rng.normal();
    inputs.entropy[i] = 1 + 0.2 * rng.normal();
    inputs.value![i] = rng.normal();
    mb.oldLogProb[i] = inputs.logProb[i] + 0.4 * rng.normal();
    mb.advantages[i] = rng.normal();
    mb.returns[i] = rng.normal();
    mb.oldValues[i] = inputs.value![i] + 0.5 * rng.normal();
    mb.refLogProb![i] = inputs.logProb[i] + 0.3 * rng.normal();
  }
  return { mb, inputs };
}

const cases: [string, LossCase][] = [];
for (const kind of ["ppo", "a2c", "grpo"] as const) {
  const base: LossCase = {
    kind,
    learningRate: 1e-3,
    clipRange: 0.2,
    clipRangeVf: null,
    entCoef: 0.05,
    vfCoef: 0.5,
    klCoef: 0.1,
    maxGradNorm: Infinity,
  };
  cases.push([kind, base]);
  if (kind === "ppo") cases.push(["ppo+vfclip", { ...base, clipRangeVf: 0.3 }]);
}

for (const [name, c] of cases) {
  Deno.test(`${name} loss: derivatives = finite differences of the loss`, () => {
    const loss = lossOf(c);
    const { mb, inputs } = inputsAndBatch(7);
    const grads: LossGradients = {
      logProb: new Float64Array(SIZE),
      entropy: new Float64Array(SIZE),
      value: new Float64Array(SIZE),
    };
    const stats = loss.evaluate(mb, inputs, grads);
    if (c.kind !== "a2c") assert.ok(stats.clipFraction > 0 && stats.clipFraction < 1);
    const scratch: LossGradients = {
      logProb: new Float64Array(SIZE),
      entropy: new Float64Array(SIZE),
      value: new Float64Array(SIZE),
    };
    const h = 1e-6;
    const fields = loss.usesCritic
      ? (["logProb", "entropy", "value"] as const)
      : (["logProb", "entropy"] as const);
    for (const f of fields) {
      const x = inputs[f]!;
      for (let i = 0; i < SIZE; i++) {
        const orig = x[i];
        x[i] = orig + h;
        const lp = loss.evaluate(mb, inputs, scratch).loss;
        x[i] = orig - h;
        const lm = loss.evaluate(mb, inputs, scratch).loss;
        x[i] = orig;
        const fd = (lp - lm) / (2 * h);
        assert.ok(
          Math.abs(fd - grads[f][i]) <= 1e-7 * Math.max(1, Math.abs(fd)),
          `${name}: d loss / d ${f}[${i}] analytic ${grads[f][i]} vs FD ${fd}`,
        );
      }
    }
  });
}
