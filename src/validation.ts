/**
 * Validation of everything a client sends, as pure functions that throw
 * `RaftvecError('INVALID_ARGUMENT', message)` with a message saying which
 * point / position / field is wrong and what is allowed.
 *
 * The server runs these before proposing a write, so nothing bad reaches the
 * log; the state machine runs the same functions again when it applies a
 * command (they are deterministic), so a bad entry is rejected identically on
 * every replica. A batch is checked whole: one bad item rejects all of it.
 */
import type {
  CollectionSpec,
  Condition,
  Filter,
  Metric,
  Point,
  ScrollQuery,
  SearchQuery,
} from './domain.js';
import { invalidArgument } from './errors.js';
import { limits } from './limits.js';

const METRICS: readonly Metric[] = ['l2', 'ip', 'cosine'];
/** Largest number accepted inside an index spec (IVF lists, HNSW M, PQ sub-quantizers, …). */
const MAX_INDEX_SPEC_NUMBER = 1 << 20;
const utf8 = new TextEncoder();

/** A string shortened for an error message. */
function show(value: string, max = 64): string {
  const s = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(s);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return `the string ${show(v, 32)}`;
  return `a value of type ${typeof v}`;
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function validateCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw invalidArgument(
      'collection name is empty; use 1-128 letters, digits, "_" or "-", starting with a letter or digit',
    );
  }
  if (name.length > 128) {
    throw invalidArgument(`collection name is ${name.length} characters long; the limit is 128`);
  }
  if (!limits.collectionNamePattern.test(name)) {
    throw invalidArgument(
      `collection name ${show(name)} is not allowed; use 1-128 letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
}

export function validateCollectionSpec(spec: CollectionSpec): void {
  if (spec === null || typeof spec !== 'object')
    throw invalidArgument('collection spec is missing');
  validateCollectionName(spec.name);
  if (!isInteger(spec.dimension) || spec.dimension < 1 || spec.dimension > limits.maxDimension) {
    throw invalidArgument(
      `collection ${show(spec.name)}: dimension must be an integer from 1 to ${limits.maxDimension}, got ${describeValue(spec.dimension)}`,
    );
  }
  if (!METRICS.includes(spec.metric)) {
    throw invalidArgument(
      `collection ${show(spec.name)}: metric must be one of ${METRICS.join(', ')}, got ${describeValue(spec.metric)}`,
    );
  }
  const indexSpec: unknown = spec.indexSpec;
  if (typeof indexSpec !== 'string' || indexSpec.trim() === '') {
    throw invalidArgument(
      `collection ${show(spec.name)}: index spec is empty; give a FAISS factory string such as "Flat", "HNSW32" or "IVF100,Flat"`,
    );
  }
  if (indexSpec.length > limits.maxIndexSpecLength) {
    throw invalidArgument(
      `collection ${show(spec.name)}: index spec is ${indexSpec.length} characters long; the limit is ${limits.maxIndexSpecLength}`,
    );
  }
  if (/idmap/i.test(indexSpec)) {
    throw invalidArgument(
      `collection ${show(spec.name)}: index spec ${show(indexSpec)} must not contain "IDMap": raftvec wraps every index in IDMap2 itself`,
    );
  }
  // FAISS 1.7.3 aborts the whole process (an assert, not an exception) on some
  // degenerate parameters — IVF0, HNSW0, PQ0, PQ8x32 — so they are refused here.
  for (const m of indexSpec.matchAll(/\d+/g)) {
    const n = Number(m[0]);
    if (n === 0 || n > MAX_INDEX_SPEC_NUMBER) {
      throw invalidArgument(
        `collection ${show(spec.name)}: index spec ${show(indexSpec)} has the parameter ${m[0]}; numbers in a factory string must be from 1 to ${MAX_INDEX_SPEC_NUMBER}`,
      );
    }
  }
  for (const m of indexSpec.matchAll(/(?:PQ|RQ|LSQ)\d+x(\d+)/gi)) {
    if (Number(m[1]) > 16) {
      throw invalidArgument(
        `collection ${show(spec.name)}: index spec ${show(indexSpec)} asks for ${m[1]} bits per code; the limit is 16 (8 is usual)`,
      );
    }
  }
  if (!/^[A-Za-z0-9_,.=()+-]+$/.test(indexSpec)) {
    throw invalidArgument(
      `collection ${show(spec.name)}: index spec ${show(indexSpec)} has characters a FAISS factory string never uses (spaces, quotes, …); use letters, digits and _ , . = ( ) + -`,
    );
  }
}

/** A point id: 1..maxPointIdBytes bytes of UTF-8. `where` names it in messages. */
export function validatePointId(id: unknown, where: string): asserts id is string {
  if (typeof id !== 'string')
    throw invalidArgument(`${where}: id must be a string, got ${describeValue(id)}`);
  if (id === '')
    throw invalidArgument(
      `${where}: id is empty; ids must be 1-${limits.maxPointIdBytes} bytes of UTF-8`,
    );
  const bytes = utf8.encode(id).length;
  if (bytes > limits.maxPointIdBytes) {
    throw invalidArgument(
      `${where} (id ${show(id, 32)}): id is ${bytes} bytes of UTF-8; the limit is ${limits.maxPointIdBytes}`,
    );
  }
}

/**
 * A vector of `dimension` finite components; for cosine also not all zero.
 * `where` names the point or query in messages.
 */
export function validateVector(
  dimension: number,
  vector: unknown,
  where: string,
  metric?: Metric,
): void {
  if (!(vector instanceof Float32Array)) {
    throw invalidArgument(`${where}: vector is missing or not a list of float32 values`);
  }
  if (vector.length !== dimension) {
    throw invalidArgument(
      `${where}: vector has ${vector.length} values but the collection's dimension is ${dimension}`,
    );
  }
  let nonZero = false;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) {
      throw invalidArgument(
        `${where}: vector[${i}] is ${describeValue(x)}; every component must be a finite number`,
      );
    }
    if (x !== 0) nonZero = true;
  }
  if (metric === 'cosine' && !nonZero) {
    throw invalidArgument(
      `${where}: the zero vector has no direction, so it cannot be used with the cosine metric`,
    );
  }
}

function validateJsonValue(value: unknown, path: string, depth: number, where: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw invalidArgument(
        `${where}: metadata field ${path} is ${describeValue(value)}; numbers must be finite`,
      );
    }
    return;
  }
  if (depth > limits.maxMetadataDepth) {
    throw invalidArgument(
      `${where}: metadata is nested deeper than ${limits.maxMetadataDepth} levels (at ${path})`,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      validateJsonValue(value[i], `${path}[${i}]`, depth + 1, where);
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value))
      validateJsonValue(v, `${path}.${k}`, depth + 1, where);
    return;
  }
  throw invalidArgument(
    `${where}: metadata field ${path} is ${describeValue(value)}; only JSON values (null, boolean, number, string, array, object) are allowed`,
  );
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Metadata: a plain JSON object of at most maxMetadataBytes when serialized. */
export function validateMetadata(metadata: unknown, where: string): void {
  if (
    metadata === null ||
    typeof metadata !== 'object' ||
    Array.isArray(metadata) ||
    !isPlainObject(metadata)
  ) {
    throw invalidArgument(
      `${where}: metadata must be a JSON object ({"key": value, …}), got ${describeValue(metadata)}`,
    );
  }
  for (const [k, v] of Object.entries(metadata)) validateJsonValue(v, k, 2, where);
  const bytes = utf8.encode(JSON.stringify(metadata)).length;
  if (bytes > limits.maxMetadataBytes) {
    throw invalidArgument(
      `${where}: metadata is ${bytes} bytes as JSON; the limit is ${limits.maxMetadataBytes}`,
    );
  }
}

/**
 * A batch of points for an upsert into a collection of `dimension` (and
 * `metric`, for the cosine zero-vector check). Rejects the whole batch if any
 * point is bad.
 */
export function validatePoints(dimension: number, points: readonly Point[], metric?: Metric): void {
  if (!Array.isArray(points) || points.length === 0) {
    throw invalidArgument('an upsert needs at least one point');
  }
  if (points.length > limits.maxPointsPerWrite) {
    throw invalidArgument(
      `an upsert may carry at most ${limits.maxPointsPerWrite} points, got ${points.length}; split it into smaller batches`,
    );
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (p === null || typeof p !== 'object') throw invalidArgument(`point ${i}: not a point`);
    validatePointId(p.id, `point ${i}`);
    const where = `point ${i} (id ${show(p.id, 32)})`;
    const first = seen.get(p.id);
    if (first !== undefined) {
      throw invalidArgument(
        `${where}: the same id is also at point ${first} of this batch; send each id once`,
      );
    }
    seen.set(p.id, i);
    validateVector(dimension, p.vector, where, metric);
    validateMetadata(p.metadata, where);
  }
}

/** A list of point ids for get/delete: 1..maxIdsPerRequest valid ids. */
export function validateIds(ids: readonly string[]): void {
  if (!Array.isArray(ids) || ids.length === 0)
    throw invalidArgument('ids: give at least one point id');
  if (ids.length > limits.maxIdsPerRequest) {
    throw invalidArgument(
      `ids: at most ${limits.maxIdsPerRequest} ids per request, got ${ids.length}; split the request`,
    );
  }
  for (let i = 0; i < ids.length; i++) validatePointId(ids[i], `ids[${i}]`);
}

const isScalar = (v: unknown): boolean =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function validateCondition(c: Condition, i: number): void {
  const where = `filter condition ${i}`;
  if (c === null || typeof c !== 'object') throw invalidArgument(`${where}: not a condition`);
  const key: unknown = c.key;
  if (typeof key !== 'string' || key === '')
    throw invalidArgument(
      `${where}: key is empty; give a metadata field such as "source" or "author.name"`,
    );
  if (key.length > limits.maxFilterKeyLength) {
    throw invalidArgument(
      `${where}: key is ${key.length} characters long; the limit is ${limits.maxFilterKeyLength}`,
    );
  }
  if (key.split('.').some((part) => part === '')) {
    throw invalidArgument(
      `${where}: key ${show(key)} has an empty path segment (leading, trailing or doubled ".")`,
    );
  }
  const kinds = (['equals', 'in', 'range'] as const).filter(
    (k) => k in c && (c as Record<string, unknown>)[k] !== undefined,
  );
  if (kinds.length !== 1) {
    throw invalidArgument(`${where} (key ${show(key)}): give exactly one of equals, in or range`);
  }
  if ('equals' in c && c.equals !== undefined) {
    if (!isScalar(c.equals)) {
      throw invalidArgument(
        `${where} (key ${show(key)}): equals must be a string, a finite number or a boolean, got ${describeValue(c.equals)}`,
      );
    }
  } else if ('in' in c && c.in !== undefined) {
    if (!Array.isArray(c.in) || c.in.length === 0) {
      throw invalidArgument(`${where} (key ${show(key)}): in needs a non-empty list of values`);
    }
    if (c.in.length > limits.maxFilterInValues) {
      throw invalidArgument(
        `${where} (key ${show(key)}): in has ${c.in.length} values; the limit is ${limits.maxFilterInValues}`,
      );
    }
    c.in.forEach((v, j) => {
      if (!isScalar(v)) {
        throw invalidArgument(
          `${where} (key ${show(key)}): in[${j}] must be a string, a finite number or a boolean, got ${describeValue(v)}`,
        );
      }
    });
  } else if ('range' in c && c.range !== undefined) {
    const r: unknown = c.range;
    if (r === null || typeof r !== 'object')
      throw invalidArgument(`${where} (key ${show(key)}): range is not an object`);
    const bounds = Object.entries(r as Record<string, unknown>).filter(
      ([, v]) => v !== undefined && v !== null,
    );
    if (bounds.length === 0) {
      throw invalidArgument(
        `${where} (key ${show(key)}): range needs at least one of gt, gte, lt, lte`,
      );
    }
    for (const [name, v] of bounds) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(name)) {
        throw invalidArgument(
          `${where} (key ${show(key)}): range has unknown bound ${show(name)}; use gt, gte, lt, lte`,
        );
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw invalidArgument(
          `${where} (key ${show(key)}): range.${name} must be a finite number, got ${describeValue(v)}`,
        );
      }
    }
  }
}

/** A metadata filter (absent = no filter). */
export function validateFilter(filter: Filter | undefined): void {
  if (filter === undefined) return;
  if (filter === null || typeof filter !== 'object' || !Array.isArray(filter.must)) {
    throw invalidArgument('filter must be an object with a list of conditions in "must"');
  }
  if (filter.must.length > limits.maxFilterConditions) {
    throw invalidArgument(
      `filter has ${filter.must.length} conditions; the limit is ${limits.maxFilterConditions}`,
    );
  }
  filter.must.forEach(validateCondition);
}

function validateOptionalRange(value: unknown, name: string, max: number): void {
  if (value === undefined) return;
  if (!isInteger(value) || value < 1 || value > max) {
    throw invalidArgument(
      `${name} must be an integer from 1 to ${max}, got ${describeValue(value)}`,
    );
  }
}

/** A search against a collection of `dimension` (and `metric`). */
export function validateSearch(dimension: number, query: SearchQuery, metric?: Metric): void {
  validateCollectionName(query.collection);
  if (!Array.isArray(query.vectors) || query.vectors.length === 0) {
    throw invalidArgument('search needs at least one query vector');
  }
  if (query.vectors.length > limits.maxQueriesPerSearch) {
    throw invalidArgument(
      `search has ${query.vectors.length} query vectors; the limit is ${limits.maxQueriesPerSearch} per request`,
    );
  }
  query.vectors.forEach((v, i) => validateVector(dimension, v, `query vector ${i}`, metric));
  if (!isInteger(query.k) || query.k < 1 || query.k > limits.maxK) {
    throw invalidArgument(
      `k must be an integer from 1 to ${limits.maxK}, got ${describeValue(query.k)}`,
    );
  }
  validateOptionalRange(query.efSearch, 'efSearch', limits.maxEfSearch);
  validateOptionalRange(query.nprobe, 'nprobe', limits.maxNprobe);
  validateFilter(query.filter);
}

export function validateScroll(query: ScrollQuery): void {
  validateCollectionName(query.collection);
  if (!isInteger(query.limit) || query.limit < 1 || query.limit > limits.maxScrollLimit) {
    throw invalidArgument(
      `limit must be an integer from 1 to ${limits.maxScrollLimit}, got ${describeValue(query.limit)}`,
    );
  }
  if (query.afterId !== undefined && query.afterId !== '')
    validatePointId(query.afterId, 'afterId');
  validateFilter(query.filter);
}
