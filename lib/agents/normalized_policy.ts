/**
 * A trained engine plus its frozen observation normaliser, seen as one {@link Policy}: what
 * evaluation, backtests and notebooks call.
 *
 * @module
 */
import type { ActOptions, ActResult, Policy } from "./policy.ts";
import type { ActorCriticEngine } from "./engines/engine.ts";
import type { VecNormalizer } from "./normalizer.ts";

/**
 * A {@link Policy} that normalises observations with a frozen normaliser before calling the
 * engine; `deterministic` by default (evaluation, backtests).
 */
export class NormalizedPolicy implements Policy {
  readonly name: string;
  /** The wrapped engine. */
  readonly engine: ActorCriticEngine;
  /** Frozen normaliser, or null. */
  readonly normalizer: VecNormalizer | null;
  /** Default of `act`'s `deterministic`. */
  readonly deterministic: boolean;
  #buf = new Float64Array(0);

  /**
   * Wrap `engine`; the normaliser is frozen (`training = false`).
   * @param engine the model
   * @param normalizer statistics to apply, or null
   * @param options default determinism (true) and report name
   */
  constructor(
    engine: ActorCriticEngine,
    normalizer: VecNormalizer | null,
    options: { deterministic?: boolean; name?: string } = {},
  ) {
    this.engine = engine;
    this.normalizer = normalizer;
    if (normalizer) normalizer.training = false;
    this.deterministic = options.deterministic ?? true;
    this.name = options.name ?? engine.name;
  }

  act(observations: Float64Array, options: ActOptions = {}): ActResult {
    let obs = observations;
    if (this.normalizer) {
      if (this.#buf.length !== observations.length) {
        this.#buf = new Float64Array(observations.length);
      }
      const batch = observations.length / this.normalizer.obsDim;
      obs = this.normalizer.normalizeObs(observations, batch, this.#buf, false);
    }
    return this.engine.act(obs, {
      ...options,
      deterministic: options.deterministic ?? this.deterministic,
    });
  }

  reset(): void {
    this.engine.reset?.();
  }
}
