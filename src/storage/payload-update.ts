/**
 * Pure functions on a point's metadata: what a payload update makes of it (applied by
 * the state machine, so deterministic), and the keys a read selects of it. Neither
 * changes its input (metadata held in memory is frozen and shared with readers).
 */
import type { JsonValue, Metadata, PayloadUpdate } from '../domain.js';

type JsonObject = { [key: string]: JsonValue };

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const has = (o: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** A copy of `o` with `key` set: a plain own property, even for "__proto__". */
function withKey(o: JsonObject, key: string, value: JsonValue): JsonObject {
  const out: JsonObject = { ...o };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** `value` without the dotted `path`; arrays on the way have it removed from each element. */
function withoutPath(value: JsonValue, path: readonly string[]): JsonValue {
  if (Array.isArray(value)) return value.map((element) => withoutPath(element, path));
  if (!isObject(value) || !has(value, path[0]!)) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value))
      if (k !== head) Object.assign(out, withKey({}, k, v));
    return out;
  }
  return withKey(value, head, withoutPath(value[head]!, rest));
}

/** The metadata a payload update makes of `metadata`. */
export function applyPayloadUpdate(metadata: Metadata, update: PayloadUpdate): Metadata {
  switch (update.op) {
    case 'overwrite':
      return update.payload;
    case 'set': {
      let out: JsonObject = { ...metadata };
      for (const [key, value] of Object.entries(update.payload)) out = withKey(out, key, value);
      return out;
    }
    case 'deleteKeys': {
      let out: JsonValue = metadata;
      for (const key of update.keys) out = withoutPath(out, key.split('.'));
      return out as Metadata;
    }
  }
}

/** The part of `value` at the dotted `path` from `at` on, as nested objects; undefined: none. */
function project(value: JsonValue, path: readonly string[], at: number): JsonValue | undefined {
  if (at === path.length) return value;
  if (Array.isArray(value)) {
    const out = value
      .map((element) => project(element, path, at))
      .filter((v): v is JsonValue => v !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (!isObject(value) || !has(value, path[at]!)) return undefined;
  const child = project(value[path[at]!]!, path, at + 1);
  return child === undefined ? undefined : withKey({}, path[at]!, child);
}

/** `a` and `b` (two projections of one value) together. */
function merge(a: JsonValue, b: JsonValue): JsonValue {
  if (isObject(a) && isObject(b)) {
    let out = a;
    for (const [k, v] of Object.entries(b))
      out = withKey(out, k, has(out, k) ? merge(out[k]!, v) : v);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.map((element, i) => merge(element, b[i]!));
  return b;
}

/** Only the given keys (dotted paths) of `metadata`; keys it lacks are left out. */
export function selectMetadata(metadata: Metadata, keys: readonly string[]): Metadata {
  let out: JsonValue = {};
  for (const key of keys) {
    const part = project(metadata, key.split('.'), 0);
    if (part !== undefined) out = merge(out, part);
  }
  return out as Metadata;
}
