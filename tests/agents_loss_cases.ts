/**
 * Test helper: one flat record of loss coefficients for the engine tests, turned into the
 * algorithm's {@link Loss} (`PpoLoss`, `A2cLoss`, `GrpoLoss`) and the optimiser step.
 */
import type { Loss, StepConfig } from "../lib/agents/engines/engine.ts";
import { PpoLoss } from "../lib/agents/ppo.ts";
import { A2cLoss } from "../lib/agents/a2c.ts";
import { GrpoLoss } from "../lib/agents/grpo.ts";

/** Every coefficient any of the three losses uses, plus the step's learning rate and clip. */
export interface LossCase {
  kind: "ppo" | "a2c" | "grpo";
  learningRate: number;
  clipRange: number;
  clipRangeVf: number | null;
  entCoef: number;
  vfCoef: number;
  klCoef: number;
  maxGradNorm: number;
}

/** The algorithm's loss for a case. */
export function lossOf(c: LossCase): Loss {
  if (c.kind === "ppo") return new PpoLoss(c);
  if (c.kind === "a2c") return new A2cLoss(c);
  return new GrpoLoss(c);
}

/** The optimiser step of a case. */
export function stepOf(c: LossCase): StepConfig {
  return { learningRate: c.learningRate, maxGradNorm: c.maxGradNorm };
}
