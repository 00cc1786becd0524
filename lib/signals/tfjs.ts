/**
 * The one place tfjs is initialised: every tfjs user (the signal classifier here, the agents'
 * tfjs engine, backend selection and model I/O) imports `tf` from this module, so the settings
 * below hold before any tensor exists.
 *
 * `PROD` is set so tfjs prints no advisories. In tfjs 4.22 the flag is read only by the
 * warning/log helpers (`backend_util.warn`/`log` in tfjs-core, and the same guard in
 * tfjs-layers and tfjs-converter): it silences the cpu backend's "Hi, looks like you are
 * running TensorFlow.js in Node.js…" banner, printed on the first tensor write under Node/Deno,
 * and changes no numerics (`enableProdMode()` is exactly `env().set('PROD', true)`; debug-mode
 * checks are the separate `DEBUG` flag, off by default).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

tf.env().set("PROD", true);

export { tf };
