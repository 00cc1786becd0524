/**
 * Experiment: everything that turns a configuration into training runs: the typed run
 * configuration and presets, the data → features → signals → env setup per split, training
 * runs in phases, run folders (config, manifest, checkpoints, best model), TensorBoard and
 * JSONL logs, and the evaluation / checkpoint callbacks.
 *
 * @module
 */
export * from "./config.ts";
export * from "./setup.ts";
export * from "./train.ts";
export * from "./run_dir.ts";
export * from "./tensorboard.ts";
export * from "./callbacks.ts";
