/**
 * Build an actor-critic engine of a given kind (fast or tfjs) from a network configuration and
 * optional weights: the one place that chooses between the engines.
 *
 * @module
 */
import type { ActorCriticEngine, EngineKind, NamedTensor } from "./engines/engine.ts";
import { FastEngine } from "./engines/fast/fast_engine.ts";
import { TfjsEngine } from "./engines/tfjs/tfjs_engine.ts";

/** Build an engine of `kind` from weights. */
export function buildEngine(
  kind: EngineKind,
  network: ActorCriticEngine["config"],
  options: { weights?: NamedTensor[]; seed?: number; name?: string } = {},
): ActorCriticEngine {
  return kind === "tfjs" ? new TfjsEngine(network, options) : new FastEngine(network, options);
}
