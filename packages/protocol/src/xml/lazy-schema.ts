/**
 * zod schemas built on first use. Loading zod costs about as much CPU as
 * Node's own start-up (`node -e "require('zod')"`: ~80 ms more than
 * `node -e 0` here), and in this package the schemas only check what the
 * server's request parsers built. A client that writes requests and reads
 * answers — `davsync sync`, whose every pass is a process start — never
 * needs them, so it should not pay for them (docs/performance.md).
 */
import type { z } from 'zod';

export type Zod = typeof z;

/** The schema `build` makes, built once, at its first use. */
export function lazily<T>(build: (zod: Zod) => T): () => T {
  let built: T | undefined;
  return () => (built ??= build((require('zod') as { z: Zod }).z));
}

/**
 * A stand-in for an exported schema that builds it at first use: property
 * reads (`safeParse`, `parse`…) are forwarded, methods bound to the real
 * schema. For callers outside this package; inside, parsers call the getter.
 */
export function lazySchema<S extends object>(get: () => S): S {
  return new Proxy({} as S, {
    get: (_target, key) => {
      const schema = get();
      const value = Reflect.get(schema, key, schema) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(schema) : value;
    },
    has: (_target, key) => Reflect.has(get(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
}
