/**
 * Conversions between the wire (generated proto types) and the domain
 * (src/domain.ts): JSON metadata <-> google.protobuf.Struct, filters, metrics,
 * write concerns. One owner for both directions, so the client SDK (domain -> wire)
 * and the server (wire -> domain) cannot drift apart. Decoding functions reject what
 * cannot be represented in the domain with RaftvecError INVALID_ARGUMENT, naming the
 * offending thing.
 */
import type {
  Condition as DomainCondition,
  Filter,
  JsonValue,
  Metadata,
  Metric,
  PayloadIndexType,
  Scalar,
} from '../domain.js';
import { invalidArgument } from '../errors.js';
import { limits } from '../limits.js';
import { f32ToLE, readF32LEInto } from '../f32.js';
import type { Value, Value__Output } from '../generated/google/protobuf/Value.js';
import type { Struct, Struct__Output } from '../generated/google/protobuf/Struct.js';
import type { ListValue__Output } from '../generated/google/protobuf/ListValue.js';
import type { Filter as ProtoFilter, Filter__Output } from '../generated/raftvec/v1/Filter.js';
import type { Condition, Condition__Output } from '../generated/raftvec/v1/Condition.js';
import type { Metric as ProtoMetric } from '../generated/raftvec/v1/Metric.js';
import type {
  PayloadIndexType as ProtoPayloadIndexType,
  PayloadIndexType__Output,
} from '../generated/raftvec/v1/PayloadIndexType.js';
import type { WriteConcern as ProtoWriteConcern } from '../generated/raftvec/v1/WriteConcern.js';
import type {
  ReadOptions as ProtoReadOptions,
  ReadOptions__Output,
} from '../generated/raftvec/v1/ReadOptions.js';
import type {
  ReadInfo as ProtoReadInfo,
  ReadInfo__Output,
} from '../generated/raftvec/v1/ReadInfo.js';

/** Nesting limit for metadata values and filter values (objects and lists). */
export const MAX_JSON_DEPTH = 64;

export type WriteConcern = 'majority' | 'all';

// ---------------------------------------------------------------- metrics

export function metricToProto(metric: Metric): ProtoMetric {
  switch (metric) {
    case 'l2':
      return 'METRIC_L2';
    case 'ip':
      return 'METRIC_IP';
    case 'cosine':
      return 'METRIC_COSINE';
    default:
      throw invalidArgument(`unknown metric ${JSON.stringify(metric)}: expected l2, ip or cosine`);
  }
}

/** METRIC_UNSPECIFIED means L2. */
export function metricFromProto(metric: ProtoMetric | undefined | null): Metric {
  switch (metric) {
    case undefined:
    case null:
    case 0:
    case 'METRIC_UNSPECIFIED':
    case 1:
    case 'METRIC_L2':
      return 'l2';
    case 2:
    case 'METRIC_IP':
      return 'ip';
    case 3:
    case 'METRIC_COSINE':
      return 'cosine';
    default:
      throw invalidArgument(
        `unknown metric ${String(metric)}: expected METRIC_L2, METRIC_IP or METRIC_COSINE`,
      );
  }
}

// --------------------------------------------------------- read consistency

/** How fresh a read must be (see docs/consistency.md). */
export type ReadConsistency = 'linearizable' | 'lease' | 'bounded' | 'session' | 'eventual';

export const READ_CONSISTENCIES: readonly ReadConsistency[] = [
  'linearizable',
  'lease',
  'bounded',
  'session',
  'eventual',
];

/** A read's consistency, with the parameter its level takes. */
export type ReadRequirement =
  | { consistency: 'linearizable' | 'lease' | 'eventual' }
  | { consistency: 'bounded'; maxStalenessMs: number }
  | { consistency: 'session'; minAppliedIndex: number };

/** Which replica served a read, and how fresh its state was. */
export interface ReadInfo {
  replicaId: string;
  /** The last log index applied to the state the read was served from. */
  appliedIndex: number;
  /** The commit index the replica last heard from a leader (its own, on the leader). */
  leaderCommitIndex: number;
  /** An upper bound on the state's staleness in ms (0: linearizable); absent: unknown. */
  stalenessBoundMs?: number;
}

/** The longest staleness a BOUNDED read may allow: one day. */
export const MAX_STALENESS_MS = 86_400_000;

export function readRequirementToProto(r: ReadRequirement | undefined): ProtoReadOptions {
  if (r === undefined) return { consistency: 'READ_CONSISTENCY_LINEARIZABLE' };
  switch (r.consistency) {
    case 'linearizable':
      return { consistency: 'READ_CONSISTENCY_LINEARIZABLE' };
    case 'lease':
      return { consistency: 'READ_CONSISTENCY_LEASE' };
    case 'eventual':
      return { consistency: 'READ_CONSISTENCY_EVENTUAL' };
    case 'bounded':
      return { consistency: 'READ_CONSISTENCY_BOUNDED', maxStalenessMs: r.maxStalenessMs };
    case 'session':
      return { consistency: 'READ_CONSISTENCY_SESSION', minAppliedIndex: r.minAppliedIndex };
    default:
      throw invalidArgument(
        `unknown read consistency ${JSON.stringify((r as { consistency: unknown }).consistency)}: expected one of ${READ_CONSISTENCIES.join(', ')}`,
      );
  }
}

/** READ_CONSISTENCY_UNSPECIFIED (or no options) means LINEARIZABLE. Validates the parameters. */
export function readRequirementFromProto(
  o: ReadOptions__Output | null | undefined,
): ReadRequirement {
  const consistency = consistencyFromProto(o?.consistency);
  const maxStalenessMs = o?.maxStalenessMs ?? 0;
  const minAppliedIndex = o?.minAppliedIndex ?? 0;
  if (consistency !== 'bounded' && maxStalenessMs !== 0)
    throw invalidArgument(
      `max_staleness_ms is for BOUNDED reads only; this read asks for ${consistency.toUpperCase()}`,
    );
  if (consistency !== 'session' && minAppliedIndex !== 0)
    throw invalidArgument(
      `min_applied_index is for SESSION reads only; this read asks for ${consistency.toUpperCase()}`,
    );
  if (consistency === 'bounded') {
    if (
      !Number.isSafeInteger(maxStalenessMs) ||
      maxStalenessMs < 1 ||
      maxStalenessMs > MAX_STALENESS_MS
    )
      throw invalidArgument(
        `a BOUNDED read needs max_staleness_ms from 1 to ${MAX_STALENESS_MS}, got ${maxStalenessMs}`,
      );
    return { consistency, maxStalenessMs };
  }
  if (consistency === 'session') {
    if (!Number.isSafeInteger(minAppliedIndex) || minAppliedIndex < 0)
      throw invalidArgument(
        `min_applied_index must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${minAppliedIndex}`,
      );
    return { consistency, minAppliedIndex };
  }
  return { consistency };
}

function consistencyFromProto(
  c: ReadOptions__Output['consistency'] | number | undefined,
): ReadConsistency {
  // An enum value this build does not know arrives as its number.
  switch (c) {
    case undefined:
    case 0:
    case 'READ_CONSISTENCY_UNSPECIFIED':
    case 1:
    case 'READ_CONSISTENCY_LINEARIZABLE':
      return 'linearizable';
    case 2:
    case 'READ_CONSISTENCY_LEASE':
      return 'lease';
    case 3:
    case 'READ_CONSISTENCY_BOUNDED':
      return 'bounded';
    case 4:
    case 'READ_CONSISTENCY_SESSION':
      return 'session';
    case 5:
    case 'READ_CONSISTENCY_EVENTUAL':
      return 'eventual';
    default:
      throw invalidArgument(
        `unknown read consistency ${JSON.stringify(c)}: expected LINEARIZABLE, LEASE, BOUNDED, SESSION or EVENTUAL`,
      );
  }
}

export function readInfoToProto(info: ReadInfo): ProtoReadInfo {
  return {
    replicaId: info.replicaId,
    appliedIndex: info.appliedIndex,
    leaderCommitIndex: info.leaderCommitIndex,
    ...(info.stalenessBoundMs !== undefined && { stalenessBoundMs: info.stalenessBoundMs }),
  };
}

/** Undefined when the server sent none (an older build). */
export function readInfoFromProto(info: ReadInfo__Output | null | undefined): ReadInfo | undefined {
  if (info === null || info === undefined) return undefined;
  return {
    replicaId: info.replicaId,
    appliedIndex: info.appliedIndex,
    leaderCommitIndex: info.leaderCommitIndex,
    ...(info.stalenessBoundMs !== undefined &&
      info.stalenessBoundMs !== null && { stalenessBoundMs: info.stalenessBoundMs }),
  };
}

// ---------------------------------------------------------- write concern

export function writeConcernToProto(wc: WriteConcern | undefined): ProtoWriteConcern {
  switch (wc) {
    case undefined:
    case 'majority':
      return 'WRITE_CONCERN_MAJORITY';
    case 'all':
      return 'WRITE_CONCERN_ALL';
    default:
      throw invalidArgument(
        `unknown write concern ${JSON.stringify(wc)}: expected majority or all`,
      );
  }
}

/** WRITE_CONCERN_UNSPECIFIED means MAJORITY. */
export function writeConcernFromProto(wc: ProtoWriteConcern | undefined | null): WriteConcern {
  switch (wc) {
    case undefined:
    case null:
    case 0:
    case 'WRITE_CONCERN_UNSPECIFIED':
    case 1:
    case 'WRITE_CONCERN_MAJORITY':
      return 'majority';
    case 2:
    case 'WRITE_CONCERN_ALL':
      return 'all';
    default:
      throw invalidArgument(
        `unknown write concern ${String(wc)}: expected WRITE_CONCERN_MAJORITY or WRITE_CONCERN_ALL`,
      );
  }
}

// ------------------------------------------------------- JSON <-> Struct

/** A JSON value as a google.protobuf.Value (for sending). */
export function jsonToValue(v: JsonValue, depth = 0): Value {
  if (depth > MAX_JSON_DEPTH)
    throw invalidArgument(`JSON value nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (v === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof v) {
    case 'boolean':
      return { boolValue: v };
    case 'number':
      return { numberValue: v };
    case 'string':
      return { stringValue: v };
    case 'object':
      if (Array.isArray(v))
        return { listValue: { values: v.map((x) => jsonToValue(x, depth + 1)) } };
      return { structValue: jsonObjectToStruct(v, depth + 1) };
    default:
      throw invalidArgument(`not a JSON value: ${typeof v}`);
  }
}

function jsonObjectToStruct(obj: { [key: string]: JsonValue }, depth: number): Struct {
  const fields: { [key: string]: Value } = {};
  for (const [k, val] of Object.entries(obj)) {
    if (val === undefined) continue; // like JSON.stringify
    // protobufjs decodes map keys by assignment, so this key would be lost on the way
    if (k === '__proto__') throw invalidArgument('the key "__proto__" is not allowed in metadata');
    fields[k] = jsonToValue(val, depth);
  }
  return { fields };
}

/** Point metadata as a google.protobuf.Struct (for sending). */
export function metadataToStruct(metadata: Metadata): Struct {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw invalidArgument('metadata must be a JSON object');
  return jsonObjectToStruct(metadata, 0);
}

const describePath = (path: string): string => (path === '' ? 'the value' : `key "${path}"`);
const joinPath = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

/**
 * A received google.protobuf.Value as JSON. `where` names the thing for error
 * messages (`metadata of point "p1"`), `path` the key inside it.
 */
export function valueToJson(
  v: Value__Output | null | undefined,
  where: string,
  path = '',
  depth = 0,
): JsonValue {
  if (depth > MAX_JSON_DEPTH)
    throw invalidArgument(
      `${where}: ${describePath(path)} is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  if (v === null || v === undefined || v.kind === undefined)
    throw invalidArgument(
      `${where}: ${describePath(path)} has no value (a google.protobuf.Value with no kind set)`,
    );
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'boolValue':
      return v.boolValue === true;
    case 'stringValue':
      return v.stringValue ?? '';
    case 'numberValue': {
      const n = v.numberValue ?? 0;
      if (!Number.isFinite(n))
        throw invalidArgument(
          `${where}: ${describePath(path)} is ${String(n)}; JSON numbers must be finite`,
        );
      return n;
    }
    case 'listValue':
      return listValueToJson(v.listValue, where, path, depth + 1);
    case 'structValue':
      return structToJson(v.structValue, where, path, depth + 1);
    default:
      throw invalidArgument(
        `${where}: ${describePath(path)} has an unknown kind ${String(v.kind)}`,
      );
  }
}

function listValueToJson(
  l: ListValue__Output | null | undefined,
  where: string,
  path: string,
  depth: number,
): JsonValue[] {
  return (l?.values ?? []).map((x, i) => valueToJson(x, where, joinPath(path, i), depth));
}

function structToJson(
  s: Struct__Output | null | undefined,
  where: string,
  path: string,
  depth: number,
): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, val] of Object.entries(s?.fields ?? {})) {
    // defineProperty: a key named "__proto__" stays an ordinary key
    Object.defineProperty(out, k, {
      value: valueToJson(val, where, joinPath(path, k), depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A received google.protobuf.Struct as metadata; absent means `{}`. */
export function structToMetadata(s: Struct__Output | null | undefined, where: string): Metadata {
  return structToJson(s, where, '', 0);
}

// ---------------------------------------------------------------- filters

function scalarToValue(s: Scalar, what: string): Value {
  switch (typeof s) {
    case 'string':
      return { stringValue: s };
    case 'number':
      return { numberValue: s };
    case 'boolean':
      return { boolValue: s };
    default:
      throw invalidArgument(`${what} must be a string, number or boolean`);
  }
}

type Bounds<T> = { gt?: T; gte?: T; lt?: T; lte?: T };
const BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

function boundsOf<T>(r: Bounds<T> | null | undefined): Bounds<T> {
  const out: Bounds<T> = {};
  for (const k of BOUNDS) if (r?.[k] !== undefined && r[k] !== null) out[k] = r[k];
  return out;
}

function scalarsToList(list: unknown, what: string): { values: Value[] } {
  if (!Array.isArray(list)) throw invalidArgument(`${what} must be a list`);
  return { values: list.map((x: Scalar) => scalarToValue(x, `${what} values`)) };
}

function conditionToProto(c: DomainCondition, where: string, depth: number): Condition {
  if (c === null || typeof c !== 'object') throw invalidArgument(`${where} must be an object`);
  if ('filter' in c) return { filter: filterToProtoAt(c.filter, `${where}.filter`, depth + 1) };
  if ('hasId' in c) return { hasId: { ids: c.hasId } };
  const what = `${where} (key ${JSON.stringify(c.key)})`;
  const key = c.key;
  if ('equals' in c) return { key, equals: scalarToValue(c.equals, `${what}: equals`) };
  if ('in' in c) return { key, in: scalarsToList(c.in, `${what}: "in"`) };
  if ('notIn' in c) return { key, notIn: scalarsToList(c.notIn, `${what}: notIn`) };
  if ('range' in c) return { key, range: boundsOf(c.range) };
  if ('datetimeRange' in c) return { key, datetimeRange: boundsOf(c.datetimeRange) };
  if ('isNull' in c) return { key, isNull: c.isNull === true };
  if ('isEmpty' in c) return { key, isEmpty: c.isEmpty === true };
  if ('exists' in c) return { key, exists: c.exists === true };
  throw invalidArgument(
    `${what}: needs one of equals, in, notIn, range, datetimeRange, isNull, isEmpty, exists, hasId or filter`,
  );
}

function filterToProtoAt(filter: Filter, where: string, depth: number): ProtoFilter {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter))
    throw invalidArgument(
      `${where} must be an object {"must": [...], "should": [...], "mustNot": [...]}`,
    );
  if (depth > limits.maxFilterDepth)
    throw invalidArgument(`${where}: filters are nested more than ${limits.maxFilterDepth} deep`);
  const list = (clause: 'must' | 'should' | 'mustNot'): Condition[] => {
    const conditions: unknown = filter[clause];
    if (conditions === undefined) return [];
    if (!Array.isArray(conditions)) throw invalidArgument(`${where}.${clause} must be a list`);
    return conditions.map((c: DomainCondition, i) =>
      conditionToProto(c, `${where}.${clause}[${i}]`, depth),
    );
  };
  return {
    must: list('must'),
    should: list('should'),
    mustNot: list('mustNot'),
    minShould: filter.minShould ?? 0,
  };
}

/** A domain filter as a proto Filter (for sending). */
export function filterToProto(filter: Filter | undefined): ProtoFilter | null {
  if (filter === undefined) return null;
  return filterToProtoAt(filter, 'filter', 1);
}

function valueToScalar(v: Value__Output | null | undefined, what: string): Scalar {
  switch (v?.kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue === true;
    case 'numberValue': {
      const n = v.numberValue ?? 0;
      if (!Number.isFinite(n))
        throw invalidArgument(`${what} is ${String(n)}; numbers must be finite`);
      return n;
    }
    case undefined:
      throw invalidArgument(`${what} has no value`);
    default:
      throw invalidArgument(
        `${what} must be a string, number or boolean, not a ${String(v?.kind)}`,
      );
  }
}

const listToScalars = (l: ListValue__Output | null | undefined, what: string): Scalar[] =>
  (l?.values ?? []).map((x, j) => valueToScalar(x, `${what} value ${j}`));

/** Optional proto3 fields arrive with a `_name` oneof naming the ones set. */
function presentBounds<T>(r: Bounds<T> | null | undefined): Bounds<T> {
  const out: Bounds<T> = {};
  const set = (r ?? {}) as Record<string, unknown>;
  if (r) for (const k of BOUNDS) if (set[`_${k}`] === k && r[k] !== undefined) out[k] = r[k];
  return out;
}

function conditionFromProto(c: Condition__Output, where: string, depth: number): DomainCondition {
  const what = `${where} (key ${JSON.stringify(c.key)})`;
  const key = c.key;
  switch (c.match) {
    case 'filter':
      return { filter: filterFromProtoAt(c.filter, `${where}.filter`, depth + 1) };
    case 'hasId':
      return { hasId: [...(c.hasId?.ids ?? [])] };
    case 'equals':
      return { key, equals: valueToScalar(c.equals, `${what}: equals`) };
    case 'in':
      return { key, in: listToScalars(c.in, `${what}: "in"`) };
    case 'notIn':
      return { key, notIn: listToScalars(c.notIn, `${what}: notIn`) };
    case 'range':
      return { key, range: presentBounds(c.range) };
    case 'datetimeRange':
      return { key, datetimeRange: presentBounds(c.datetimeRange) };
    case 'isNull':
    case 'isEmpty':
    case 'exists':
      if (c[c.match] !== true) throw invalidArgument(`${what}: ${c.match} must be true`);
      return { key, [c.match]: true } as DomainCondition;
    default:
      throw invalidArgument(
        `${what}: needs one of equals, in, not_in, range, datetime_range, is_null, is_empty, exists, has_id or filter`,
      );
  }
}

function filterFromProtoAt(
  f: Filter__Output | null | undefined,
  where: string,
  depth: number,
): Filter {
  if (depth > limits.maxFilterDepth)
    throw invalidArgument(`${where}: filters are nested more than ${limits.maxFilterDepth} deep`);
  const out: Filter = {};
  const clauses = [
    ['must', f?.must],
    ['should', f?.should],
    ['mustNot', f?.mustNot],
  ] as const;
  for (const [clause, list] of clauses) {
    if (list === undefined || list.length === 0) continue;
    if (list.length > limits.maxFilterConditions)
      throw invalidArgument(
        `${where}.${clause} has ${list.length} conditions; the limit is ${limits.maxFilterConditions}`,
      );
    out[clause] = list.map((c, i) => conditionFromProto(c, `${where}.${clause}[${i}]`, depth));
  }
  if ((f?.minShould ?? 0) > 0) out.minShould = f!.minShould;
  return out;
}

/** A received proto Filter as a domain filter; absent or empty means no filter. */
export function filterFromProto(f: Filter__Output | null | undefined): Filter | undefined {
  if (!f) return undefined;
  const filter = filterFromProtoAt(f, 'filter', 1);
  return Object.keys(filter).length === 0 ? undefined : filter;
}

// ---------------------------------------------------------------- vectors

/** A point's vector as it comes off the wire: a list of floats, or float32 bytes. */
export interface WireVector {
  vector?: readonly number[];
  vectorF32?: Uint8Array;
}

/** A vector as `Point.vector_f32`: little-endian float32 bytes. */
export function vectorToF32Bytes(v: Float32Array | ArrayLike<number>): Uint8Array {
  return f32ToLE(v instanceof Float32Array ? v : Float32Array.from(v));
}

/**
 * The number of components of a wire point's vector, from whichever form it came in;
 * throws INVALID_ARGUMENT if both are set or the bytes are not whole
 * float32 values.
 */
export function wireVectorLength(p: WireVector, where: string): number {
  const bytes = p.vectorF32?.byteLength ?? 0;
  if (bytes === 0) return p.vector?.length ?? 0;
  if ((p.vector?.length ?? 0) > 0)
    throw invalidArgument(
      `${where}: both vector and vector_f32 are set; send the vector once, in one of them`,
    );
  if (bytes % 4 !== 0)
    throw invalidArgument(
      `${where}: vector_f32 has ${bytes} bytes, not a whole number of float32 values (4 bytes each)`,
    );
  return bytes / 4;
}

/** A wire point's vector (after {@link wireVectorLength} accepted it), as a new array. */
export function wireVector(p: WireVector): Float32Array {
  if (p.vectorF32 === undefined || p.vectorF32.byteLength === 0)
    return Float32Array.from(p.vector ?? []);
  const out = new Float32Array(p.vectorF32.byteLength / 4);
  readF32LEInto(p.vectorF32, 0, out, 0, out.length);
  return out;
}

// ---------------------------------------------------------------- payload indexes

const PAYLOAD_INDEX_TYPE_TO_PROTO: Record<PayloadIndexType, PayloadIndexType__Output> = {
  keyword: 'PAYLOAD_INDEX_TYPE_KEYWORD',
  integer: 'PAYLOAD_INDEX_TYPE_INTEGER',
  float: 'PAYLOAD_INDEX_TYPE_FLOAT',
  bool: 'PAYLOAD_INDEX_TYPE_BOOL',
  datetime: 'PAYLOAD_INDEX_TYPE_DATETIME',
};

export function payloadIndexTypeToProto(type: PayloadIndexType): PayloadIndexType__Output {
  const proto = Object.hasOwn(PAYLOAD_INDEX_TYPE_TO_PROTO, type)
    ? PAYLOAD_INDEX_TYPE_TO_PROTO[type]
    : undefined;
  if (proto === undefined)
    throw invalidArgument(
      `payload index type must be one of ${Object.keys(PAYLOAD_INDEX_TYPE_TO_PROTO).join(', ')}, got ${JSON.stringify(type)}`,
    );
  return proto;
}

export function payloadIndexTypeFromProto(
  type: ProtoPayloadIndexType | undefined | null,
): PayloadIndexType {
  for (const [domain, proto] of Object.entries(PAYLOAD_INDEX_TYPE_TO_PROTO))
    if (type === proto) return domain as PayloadIndexType;
  throw invalidArgument(
    `payload index type is missing or unknown (${String(type)}); use keyword, integer, float, bool or datetime`,
  );
}
