/**
 * The BullMQ and ioredis runtime, loaded on first use by `queue.ts` (a dynamic import), so
 * that importing the sweep module for a local pool does not load the Redis client (≈0.5 s).
 *
 * @module
 */
import { Queue, WaitingError, Worker } from "bullmq";
// @ts-types="./_ioredis_types.d.ts"
import { Redis } from "ioredis";

export { Queue, Redis, WaitingError, Worker };
