/**
 * The slice of ioredis 5.9.2's types this folder uses. ioredis's own declarations reference
 * `types="node"`, which in this project resolves to an ancient `@types/node` (6.x, pulled in
 * by tfjs) and then breaks type-checking of every `node:` import in the same program; this
 * shim keeps `deno check` clean. The runtime is the real ioredis.
 */
export interface RedisOptions {
  host?: string;
  port?: number;
  password?: string;
  db?: number;
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
}

export declare class Redis {
  constructor(options: RedisOptions);
  quit(): Promise<string>;
  disconnect(): void;
  ping(): Promise<string>;
}
