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

/** Sets `key` on `o` as a plain own property, even for "__proto__" (no prototype setter). */
function defineOwn(o: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A copy of `o` with `key` set (see {@link defineOwn}). */
function withKey(o: JsonObject, key: string, value: JsonValue): JsonObject {
  const out: JsonObject = { ...o };
  defineOwn(out, key, value);
  return out;
}

/** `value` without the dotted `path`; arrays on the way have it removed from each element. */
function withoutPath(value: JsonValue, path: readonly string[]): JsonValue {
  if (Array.isArray(value)) return value.map((element) => withoutPath(element, path));
  if (!isObject(value) || !has(value, path[0]!)) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (k !== head) defineOwn(out, k, v);
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

/** The keys a read selects, as a tree of path segments; `true`: the whole value there. */
type Selection = Map<string, Selection | true>;

function selectionOf(keys: readonly string[]): Selection {
  const root: Selection = new Map();
  for (const key of keys) {
    const path = key.split('.');
    let node = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const held = node.get(segment);
      if (held === true) break; // a shorter key already takes the whole value
      if (i === path.length - 1) node.set(segment, true);
      else {
        const next: Selection = held ?? new Map();
        node.set(segment, next);
        node = next;
      }
    }
  }
  return root;
}

/**
 * The selected part of `value`, undefined when nothing is selected: objects keep the
 * selected keys they have; an array keeps, in order, what each element has selected
 * (elements with nothing selected are left out).
 */
function project(value: JsonValue, selection: Selection): JsonValue | undefined {
  if (Array.isArray(value)) {
    const out = value
      .map((element) => project(element, selection))
      .filter((v): v is JsonValue => v !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (!isObject(value)) return undefined;
  let out: JsonObject | undefined;
  for (const [segment, below] of selection) {
    if (!has(value, segment)) continue;
    const part = below === true ? value[segment]! : project(value[segment]!, below);
    if (part !== undefined) out = withKey(out ?? {}, segment, part);
  }
  return out;
}

/** Only the given keys (dotted paths) of `metadata`; keys it lacks are left out. */
export function selectMetadata(metadata: Metadata, keys: readonly string[]): Metadata {
  return (project(metadata, selectionOf(keys)) as Metadata | undefined) ?? {};
}
