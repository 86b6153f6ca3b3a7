/**
 * Push topics (the draft §3.1: a server-wide unique, stable identifier of a
 * resource). davsync derives a collection's topic from its path with a keyed
 * hash: stable for the collection's life (no state to keep per collection,
 * the same on every instance sharing the key), unique in practice (128 bits),
 * and it says nothing about the path to whoever sees a message or a push
 * service log. A collection moved elsewhere is a new resource with a new topic.
 */
import { createHmac } from 'node:crypto';

/** The topic of the collection at `path` under `key` (any secret the server keeps, e.g. its VAPID private key). */
export function pushTopic(key: string | Uint8Array, path: string): string {
  return createHmac('sha256', key).update('davsync push topic\0').update(path).digest().subarray(0, 16).toString('base64url');
}
