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
  BatchOperation,
  CollectionSpec,
  Condition,
  Filter,
  Metric,
  PayloadIndexSpec,
  PayloadIndexType,
  PayloadUpdate,
  Point,
  PointSelector,
  ScrollQuery,
  SearchQuery,
} from './domain.js';
import { invalidArgument } from './errors.js';
import { limits, type ParamRange } from './limits.js';
import { parseDatetime } from './datetime.js';

const METRICS: readonly Metric[] = ['l2', 'ip', 'cosine'];
/** limits.maxAbsVectorValue for messages: "1e15". */
const MAX_ABS_TEXT = limits.maxAbsVectorValue.toExponential().replace('e+', 'e');

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
  if (!/^[A-Za-z0-9_,.=()+-]+$/.test(indexSpec)) {
    throw invalidArgument(
      `collection ${show(spec.name)}: index spec ${show(indexSpec)} has characters a FAISS factory string never uses (spaces, quotes, …); use letters, digits and _ , . = ( ) + -`,
    );
  }
  validateIndexSpec(indexSpec, spec.dimension, spec.metric, `collection ${show(spec.name)}`);
  if (spec.efSearch !== undefined) {
    validateOptionalRange(
      spec.efSearch,
      `collection ${show(spec.name)}: efSearch`,
      limits.maxEfSearch,
    );
    if (!/HNSW/i.test(indexSpec)) {
      throw invalidArgument(
        `collection ${show(spec.name)}: efSearch is the search breadth of an HNSW graph; index spec ${show(indexSpec)} has none (use e.g. "HNSW32", or leave efSearch out)`,
      );
    }
  }
}

// ---- index specs -------------------------------------------------------------------

/**
 * What validateIndexSpec accepts: a vetted subset of FAISS 1.7.3's factory
 * grammar, `[transform,]* index[,refine]`, where every number is bounded.
 * Anything else is refused: a factory string is code for FAISS, and FAISS
 * allocates on creation (PQ codebooks, HNSW link tables), hangs (`HNSW1`) or
 * aborts the process (`IVF0`, `PQ8x32`) on parameters it does not check.
 */
export const SUPPORTED_INDEX_SPECS =
  'Flat; HNSW<M>[_Flat|_SQ<t>|_PQ<m>]; PQ<m>[x<bits>][np]; PQ<m>x4fs; SQ<t> (t: 4, 6, 8, fp16); LSH[r][t]; ' +
  'IVF<nlist>[_HNSW<M>],<codec> or IMI2x<bits>,<codec> (codec: Flat, SQ<t>, PQ<m>[x<bits>][np], PQ<m>x4fs[r]); ' +
  'optionally preceded by transforms (PCA[W][R]<d>, OPQ<m>[_<d>], RR[<d>], Pad<d>, L2norm) ' +
  'and followed by a refinement (RFlat, Refine(Flat), Refine(SQ<t>))';

const SQ_TYPES = new Set(['4', '6', '8', 'fp16']);

interface SpecContext {
  /** Names the spec in messages: `collection "c": index spec "…"`. */
  readonly where: string;
  /** Bytes the spec fixes so far (codebooks, matrices), against maxFixedBytes. */
  fixedBytes: number;
}

/** A numeric parameter of a spec component, checked against `range`. */
function specParam(
  ctx: SpecContext,
  component: string,
  name: string,
  raw: string,
  range: ParamRange,
): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw invalidArgument(
      `${ctx.where}: in ${show(component)}, ${name} is ${raw}; the allowed range is ${range.min} to ${range.max}`,
    );
  }
  return value;
}

/** Charges `bytes` of memory fixed at creation/training to the spec. */
function specFixedBytes(ctx: SpecContext, component: string, what: string, bytes: number): void {
  ctx.fixedBytes += bytes;
  const max = limits.indexSpec.maxFixedBytes;
  if (ctx.fixedBytes > max) {
    throw invalidArgument(
      `${ctx.where}: ${show(component)} needs ${what} of ${mib(bytes)} MiB (the spec ${mib(ctx.fixedBytes)} MiB in all) per collection; the limit is ${mib(max)} MiB: use fewer bits, a smaller output dimension or a smaller collection dimension`,
    );
  }
}

const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');

/** PQ with `m` sub-quantizers of `bits` over vectors of dimension `d`. */
function specPq(
  ctx: SpecContext,
  component: string,
  mRaw: string,
  bitsRaw: string | undefined,
  bitsRange: ParamRange,
  d: number,
): void {
  const m = specParam(ctx, component, 'the number of sub-quantizers m', mRaw, { min: 1, max: d });
  if (d % m !== 0) {
    throw invalidArgument(
      `${ctx.where}: in ${show(component)}, the number of sub-quantizers m is ${m}, which does not divide the dimension ${d} the quantizer sees; use a divisor of ${d}`,
    );
  }
  const bits =
    bitsRaw === undefined ? 8 : specParam(ctx, component, 'bits per code', bitsRaw, bitsRange);
  specFixedBytes(ctx, component, `a codebook of 2^${bits} × ${d} floats`, 2 ** bits * d * 4);
}

function specSq(ctx: SpecContext, component: string, type: string): void {
  if (!SQ_TYPES.has(type)) {
    throw invalidArgument(
      `${ctx.where}: in ${show(component)}, the scalar quantizer type is ${show(type)}; use SQ4, SQ6, SQ8 or SQfp16`,
    );
  }
}

/** A vector transform; returns the dimension it outputs, or undefined if `c` is not one. */
function specTransform(ctx: SpecContext, c: string, d: number): number | undefined {
  const dims = { min: 1, max: d };
  let m: RegExpExecArray | null;
  if (/^L2[nN]orm$/.test(c)) return d;
  if ((m = /^PCA(W?)(R?)(\d+)$/.exec(c))) {
    const out = specParam(ctx, c, 'the output dimension', m[3]!, dims);
    // training accumulates a d × d covariance; the result is a d × out matrix
    specFixedBytes(ctx, c, `a ${d}² covariance and a ${d} × ${out} matrix`, 4 * d * (d + out));
    return out;
  }
  if ((m = /^OPQ(\d+)(?:_(\d+))?$/.exec(c))) {
    const out = m[2] === undefined ? d : specParam(ctx, c, 'the output dimension', m[2], dims);
    const parts = specParam(ctx, c, 'the number of sub-quantizers m', m[1]!, { min: 1, max: out });
    if (out % parts !== 0) {
      throw invalidArgument(
        `${ctx.where}: in ${show(c)}, the number of sub-quantizers m is ${parts}, which does not divide the output dimension ${out}; use a divisor of ${out}`,
      );
    }
    specFixedBytes(ctx, c, `a ${d} × ${out} rotation`, 4 * d * out);
    return out;
  }
  if ((m = /^RR(\d+)?$/.exec(c))) {
    const out = m[1] === undefined ? d : specParam(ctx, c, 'the output dimension', m[1], dims);
    specFixedBytes(ctx, c, `a ${d} × ${out} rotation`, 4 * d * out);
    return out;
  }
  if ((m = /^Pad(\d+)$/.exec(c))) {
    return specParam(ctx, c, 'the padded dimension', m[1]!, {
      min: d,
      max: limits.maxDimension,
    });
  }
  return undefined;
}

/**
 * Index types FAISS 1.7.3 builds for L2 only: for inner product it refuses
 * (LSH, IMI) or, worse, silently builds an L2 index (HNSW_PQ).
 */
function specL2Only(ctx: SpecContext, c: string, metric: Metric, instead: string): void {
  if (metric !== 'l2') {
    throw invalidArgument(
      `${ctx.where}: ${show(c)} works with the l2 metric only, not ${metric}; use ${instead}`,
    );
  }
}

/** A whole (non-IVF) index over dimension `d`; false if `c` is not one. */
function specFlatIndex(ctx: SpecContext, c: string, d: number, metric: Metric): boolean {
  const p = limits.indexSpec;
  let m: RegExpExecArray | null;
  if (c === 'Flat') return true;
  if (/^LSHr?t?$/.test(c)) {
    specL2Only(ctx, c, metric, 'Flat, HNSW<M> or SQ8');
    return true;
  }
  if ((m = /^HNSW(\d+)(?:_(?:(Flat)|SQ(\w+)|PQ(\d+)))?$/.exec(c))) {
    specParam(ctx, c, 'HNSW M (links per node)', m[1]!, p.hnswM);
    if (m[3] !== undefined) specSq(ctx, c, m[3]);
    if (m[4] !== undefined) {
      specPq(ctx, c, m[4], undefined, p.pqBits, d);
      specL2Only(ctx, c, metric, `HNSW${m[1]}_SQ8 or HNSW${m[1]}`);
    }
    return true;
  }
  if ((m = /^PQ(\d+)x4fs$/.exec(c))) {
    specPq(ctx, c, m[1]!, '4', p.pqBits, d);
    return true;
  }
  if ((m = /^PQ(\d+)(?:x(\d+))?(?:np)?$/.exec(c))) {
    specPq(ctx, c, m[1]!, m[2], p.pqBits, d);
    return true;
  }
  if ((m = /^SQ(\w+)$/.exec(c))) {
    specSq(ctx, c, m[1]!);
    return true;
  }
  return false;
}

/** The codec after an IVF/IMI coarse quantizer; false if `c` is not one. */
function specIvfCodec(ctx: SpecContext, c: string, d: number): boolean {
  let m: RegExpExecArray | null;
  if (c === 'Flat') return true;
  if ((m = /^PQ(\d+)x4fsr?$/.exec(c))) {
    specPq(ctx, c, m[1]!, '4', limits.indexSpec.ivfPqBits, d);
    return true;
  }
  if ((m = /^PQ(\d+)(?:x(\d+))?(?:np)?$/.exec(c))) {
    specPq(ctx, c, m[1]!, m[2], limits.indexSpec.ivfPqBits, d);
    return true;
  }
  if ((m = /^SQ(\w+)$/.exec(c))) {
    specSq(ctx, c, m[1]!);
    return true;
  }
  return false;
}

/**
 * Checks an index spec (FAISS factory string) for a collection of `dimension`
 * and `metric` against the supported grammar ({@link SUPPORTED_INDEX_SPECS})
 * and the ranges in `limits.indexSpec`; messages name the component, the
 * parameter, its value and the allowed range.
 */
export function validateIndexSpec(
  indexSpec: string,
  dimension: number,
  metric: Metric,
  where: string,
): void {
  const ctx: SpecContext = { where: `${where}: index spec ${show(indexSpec)}`, fixedBytes: 0 };
  const unsupported = (c: string, expected: string): never => {
    throw invalidArgument(
      `${ctx.where}: ${c === '' ? 'an empty component' : show(c)} is not ${expected}; supported: ${SUPPORTED_INDEX_SPECS}`,
    );
  };
  const parts = indexSpec.split(',');
  let d = dimension;
  let i = 0;
  for (let out; i < parts.length && (out = specTransform(ctx, parts[i]!, d)) !== undefined; i++)
    d = out;
  const main = parts[i++];
  if (main === undefined) return unsupported('', 'an index (the spec holds transforms only)');
  let m: RegExpExecArray | null;
  if ((m = /^IVF(\d+)(?:_HNSW(\d+)|\(HNSW(\d+)\))?$/.exec(main))) {
    specParam(ctx, main, 'nlist (inverted lists)', m[1]!, limits.indexSpec.ivfLists);
    const hnswM = m[2] ?? m[3];
    if (hnswM !== undefined)
      specParam(ctx, main, 'HNSW M (links per node)', hnswM, limits.indexSpec.hnswM);
  } else if ((m = /^IMI2x(\d+)$/.exec(main))) {
    specParam(ctx, main, 'bits per sub-quantizer', m[1]!, limits.indexSpec.imiBits);
    specL2Only(ctx, main, metric, 'IVF<nlist>');
  } else {
    if (!specFlatIndex(ctx, main, d, metric)) unsupported(main, 'a supported index');
    m = null;
  }
  if (m !== null) {
    const codec = parts[i++];
    if (codec === undefined) {
      throw invalidArgument(
        `${ctx.where}: ${show(main)} needs a codec after it, such as "${main},Flat" or "${main},PQ8"`,
      );
    }
    if (!specIvfCodec(ctx, codec, d)) unsupported(codec, `a codec for ${show(main)}`);
  }
  const refine = parts[i++];
  if (refine !== undefined) {
    const r = /^(?:RFlat|Refine\((?:Flat|SQ(\w+))\))$/.exec(refine);
    if (!r) unsupported(refine, 'a refinement');
    else if (r[1] !== undefined) specSq(ctx, refine, r[1]);
  }
  if (i < parts.length) unsupported(parts[i]!, 'expected after the refinement (nothing is)');
}

/** A point id: 1..maxPointIdBytes bytes of UTF-8. `where` names it in messages. */
export function validatePointId(id: unknown, where: string): asserts id is string {
  if (typeof id !== 'string')
    throw invalidArgument(`${where}: id must be a string, got ${describeValue(id)}`);
  if (id === '')
    throw invalidArgument(
      `${where}: id is empty; ids must be 1-${limits.maxPointIdBytes} bytes of UTF-8`,
    );
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > limits.maxPointIdBytes) {
    throw invalidArgument(
      `${where} (id ${show(id, 32)}): id is ${bytes} bytes of UTF-8; the limit is ${limits.maxPointIdBytes}`,
    );
  }
}

/** A vector's length, checked before its values are converted or looked at. */
export function validateVectorLength(dimension: number, length: number, where: string): void {
  if (length !== dimension) {
    throw invalidArgument(
      `${where}: vector has ${length} values but the collection's dimension is ${dimension}`,
    );
  }
}

/**
 * A vector of `dimension` components, each finite with |x| <= maxAbsVectorValue
 * (what the FAISS binding accepts: larger values overflow squared distances); for
 * cosine also not all zero (-0 counts as zero). `where` names the point or query
 * in messages.
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
  validateVectorLength(dimension, vector.length, where);
  const max = limits.maxAbsVectorValue;
  let nonZero = false;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    // One comparison for the common case; NaN fails it too.
    if (!(x <= max && x >= -max)) {
      throw invalidArgument(
        Number.isFinite(x)
          ? `${where}: vector[${i}] is ${x}; components must be from -${MAX_ABS_TEXT} to ${MAX_ABS_TEXT} (larger values overflow float32 distances)`
          : `${where}: vector[${i}] is ${describeValue(x)}; every component must be a finite number`,
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
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > limits.maxMetadataBytes) {
    throw invalidArgument(
      `${where}: metadata is ${bytes} bytes as JSON; the limit is ${limits.maxMetadataBytes}`,
    );
  }
}

/** The number of points in one upsert: 1..maxPointsPerWrite. */
export function validatePointCount(count: number): void {
  if (count === 0) throw invalidArgument('an upsert needs at least one point');
  if (count > limits.maxPointsPerWrite) {
    throw invalidArgument(
      `an upsert may carry at most ${limits.maxPointsPerWrite} points, got ${count}; split it into smaller batches`,
    );
  }
}

/**
 * A batch of points for an upsert into a collection of `dimension` (and
 * `metric`, for the cosine zero-vector check). Rejects the whole batch if any
 * point is bad.
 */
export function validatePoints(dimension: number, points: readonly Point[], metric?: Metric): void {
  if (!Array.isArray(points)) throw invalidArgument('an upsert needs at least one point');
  validatePointCount(points.length);
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

/** A metadata key: a dotted path of non-empty segments. `where` names it in messages. */
export function validateMetadataKey(key: unknown, where: string): asserts key is string {
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
}

const FIELD_KINDS = [
  'equals',
  'in',
  'notIn',
  'range',
  'datetimeRange',
  'isNull',
  'isEmpty',
  'exists',
] as const;
const CONDITION_KINDS = [...FIELD_KINDS, 'hasId', 'filter'] as const;

function validateScalarList(list: unknown, what: string): void {
  if (!Array.isArray(list) || list.length === 0)
    throw invalidArgument(`${what} needs a non-empty list of values`);
  if (list.length > limits.maxFilterInValues) {
    throw invalidArgument(
      `${what} has ${list.length} values; the limit is ${limits.maxFilterInValues}`,
    );
  }
  list.forEach((v: unknown, j) => {
    if (!isScalar(v)) {
      throw invalidArgument(
        `${what}[${j}] must be a string, a finite number or a boolean, got ${describeValue(v)}`,
      );
    }
  });
}

/** The bounds of a range: at least one of gt, gte, lt, lte, each accepted by `check`. */
function validateBounds(
  r: unknown,
  what: string,
  check: (v: unknown, bound: string) => void,
): void {
  if (r === null || typeof r !== 'object' || Array.isArray(r))
    throw invalidArgument(`${what} is not an object`);
  const bounds = Object.entries(r as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && v !== null,
  );
  if (bounds.length === 0) throw invalidArgument(`${what} needs at least one of gt, gte, lt, lte`);
  for (const [name, v] of bounds) {
    if (!['gt', 'gte', 'lt', 'lte'].includes(name))
      throw invalidArgument(`${what} has unknown bound ${show(name)}; use gt, gte, lt, lte`);
    check(v, `${what}.${name}`);
  }
}

/** What one filter tree holds so far, against maxFilterConditions and maxFilterValues. */
interface FilterBudget {
  conditions: number;
  /** Values of in, notIn and hasId lists. */
  values: number;
}

function chargeValues(budget: FilterBudget, list: unknown): void {
  budget.values += Array.isArray(list) ? list.length : 0;
  if (budget.values > limits.maxFilterValues) {
    throw invalidArgument(
      `the filter's in, notIn and hasId lists hold more than ${limits.maxFilterValues} values in all; split the query`,
    );
  }
}

function validateCondition(c: Condition, where: string, depth: number, budget: FilterBudget): void {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw invalidArgument(`${where}: not a condition`);
  if (++budget.conditions > limits.maxFilterConditions) {
    throw invalidArgument(
      `the filter has more than ${limits.maxFilterConditions} conditions (nested ones included); split the query or use "in" lists`,
    );
  }
  const record = c as Record<string, unknown>;
  const kinds = CONDITION_KINDS.filter((k) => record[k] !== undefined);
  if (kinds.length !== 1) {
    throw invalidArgument(
      `${where}: give exactly one of ${CONDITION_KINDS.join(', ')}${kinds.length > 1 ? ` (got ${kinds.join(' and ')})` : ''}`,
    );
  }
  const kind = kinds[0]!;
  if ((kind === 'filter' || kind === 'hasId') && record.key !== undefined)
    throw invalidArgument(`${where}: a ${kind} condition has no key; leave key out`);
  if (kind === 'filter') {
    validateFilterAt(record.filter as Filter, `${where}.filter`, depth + 1, budget);
    return;
  }
  if (kind === 'hasId') {
    const ids = record.hasId;
    chargeValues(budget, ids);
    if (!Array.isArray(ids) || ids.length === 0)
      throw invalidArgument(`${where}: hasId needs a non-empty list of point ids`);
    if (ids.length > limits.maxFilterInValues)
      throw invalidArgument(
        `${where}: hasId has ${ids.length} ids; the limit is ${limits.maxFilterInValues}`,
      );
    ids.forEach((id: unknown, j) => validatePointId(id, `${where}: hasId[${j}]`));
    return;
  }
  validateMetadataKey(record.key, where);
  const at = `${where} (key ${show(record.key as string)})`;
  switch (kind) {
    case 'equals':
      if (!isScalar(record.equals)) {
        throw invalidArgument(
          `${at}: equals must be a string, a finite number or a boolean, got ${describeValue(record.equals)}`,
        );
      }
      return;
    case 'in':
    case 'notIn':
      validateScalarList(record[kind], `${at}: ${kind}`);
      chargeValues(budget, record[kind]);
      return;
    case 'range':
      validateBounds(record.range, `${at}: range`, (v, what) => {
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw invalidArgument(`${what} must be a finite number, got ${describeValue(v)}`);
      });
      return;
    case 'datetimeRange':
      validateBounds(record.datetimeRange, `${at}: datetimeRange`, (v, what) => {
        if (typeof v !== 'string' || parseDatetime(v) === undefined)
          throw invalidArgument(
            `${what} must be an RFC 3339 timestamp such as "2024-05-01" or "2024-05-01T12:30:00Z", got ${describeValue(v)}`,
          );
      });
      return;
    default:
      if (record[kind] !== true) throw invalidArgument(`${at}: ${kind} must be true`);
  }
}

const FILTER_CLAUSES = ['must', 'should', 'mustNot'] as const;

function validateFilterAt(
  filter: Filter,
  where: string,
  depth: number,
  budget: FilterBudget,
): void {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw invalidArgument(
      `${where} must be an object with lists of conditions in "must", "should" or "mustNot"`,
    );
  }
  if (depth > limits.maxFilterDepth) {
    throw invalidArgument(
      `${where}: filters are nested more than ${limits.maxFilterDepth} deep; flatten the filter`,
    );
  }
  const unknown = Object.keys(filter).filter(
    (k) => !(FILTER_CLAUSES as readonly string[]).includes(k) && k !== 'minShould',
  );
  if (unknown.length > 0) {
    throw invalidArgument(
      `${where} has unknown field ${show(unknown[0]!)}; a filter has must, should, minShould and mustNot`,
    );
  }
  for (const clause of FILTER_CLAUSES) {
    const list: unknown = filter[clause];
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw invalidArgument(`${where}.${clause} must be a list of conditions`);
    list.forEach((c: Condition, i) =>
      validateCondition(c, `${where}.${clause}[${i}]`, depth, budget),
    );
  }
  if (filter.minShould !== undefined) {
    const should = filter.should?.length ?? 0;
    if (!isInteger(filter.minShould) || filter.minShould < 1 || filter.minShould > should) {
      throw invalidArgument(
        `${where}.minShould is ${describeValue(filter.minShould)}; with ${should} should condition(s) it must be from 1 to ${should}${should === 0 ? ' (give should conditions, or leave minShould out)' : ''}`,
      );
    }
  }
}

/** A metadata filter (absent = no filter). */
export function validateFilter(filter: Filter | undefined): void {
  if (filter === undefined) return;
  validateFilterAt(filter, 'filter', 1, { conditions: 0, values: 0 });
}

function validateOptionalRange(value: unknown, name: string, max: number): void {
  if (value === undefined) return;
  if (!isInteger(value) || value < 1 || value > max) {
    throw invalidArgument(
      `${name} must be an integer from 1 to ${max}, got ${describeValue(value)}`,
    );
  }
}

/** Estimated bytes of one point's vector in a response (see limits.maxResponseBytes). */
export const responseVectorBytes = (dimension: number): number => 4 * dimension;

/** Estimated bytes of a point in a response besides its id, vector and metadata (score, framing). */
export const RESPONSE_POINT_OVERHEAD_BYTES = 16;

/**
 * `rows` points with vectors of `dimension` fit in one response
 * (limits.maxResponseBytes); checked before any work, so it counts what is
 * known then (vectors and the per-point overhead; ids and metadata are counted
 * while the response is built). `what` names the request and `advice` says
 * what to lower.
 */
export function validateVectorResponse(
  rows: number,
  dimension: number,
  what: string,
  advice: string,
): void {
  const bytes = rows * (responseVectorBytes(dimension) + RESPONSE_POINT_OVERHEAD_BYTES);
  if (bytes > limits.maxResponseBytes) {
    throw invalidArgument(
      `${what} asks for up to ${rows} vectors of dimension ${dimension} (${bytes} bytes); one response may carry at most ${limits.maxResponseBytes} bytes of ids, vectors and metadata: ${advice}`,
    );
  }
}

/**
 * A search against a collection of `dimension` (and `metric`). The size of the
 * request and of its answer (queries × k, vectors asked for) is checked first,
 * before any vector is looked at.
 */
export function validateSearch(dimension: number, query: SearchQuery, metric?: Metric): void {
  validateCollectionName(query.collection);
  if (!Array.isArray(query.vectors) || query.vectors.length === 0) {
    throw invalidArgument('search needs at least one query vector');
  }
  const nq = query.vectors.length;
  if (nq > limits.maxQueriesPerSearch) {
    throw invalidArgument(
      `search has ${nq} query vectors; the limit is ${limits.maxQueriesPerSearch} per request`,
    );
  }
  const validK = (k: unknown, what: string): void => {
    if (!isInteger(k) || k < 1 || k > limits.maxK)
      throw invalidArgument(
        `${what} must be an integer from 1 to ${limits.maxK}, got ${describeValue(k)}`,
      );
  };
  validK(query.k, 'k');
  const targets = query.targets;
  if (targets !== undefined && (!Array.isArray(targets) || targets.length !== nq))
    throw invalidArgument(`search has ${nq} queries but ${targets?.length ?? 0} query targets`);
  let results = 0;
  for (let i = 0; i < nq; i++) {
    const t = targets?.[i];
    if (t?.k !== undefined) validK(t.k, `query ${i}: k`);
    results += t?.k ?? query.k;
  }
  if (results > limits.maxResultsPerSearch) {
    throw invalidArgument(
      `search asks for ${nq} queries × k=${query.k} = ${results} results; the limit is ${limits.maxResultsPerSearch} per request: split the queries into several requests or lower k`,
    );
  }
  if (query.withVector) {
    validateVectorResponse(
      results,
      dimension,
      `search (${nq} ${nq === 1 ? 'query' : 'queries'} × k=${query.k}, with vectors)`,
      'lower k, send fewer queries per request, or leave vectors out',
    );
  }
  query.vectors.forEach((v, i) => {
    const t = targets?.[i];
    if (t?.pointId !== undefined) {
      validatePointId(t.pointId, `query ${i}: pointId`);
      if (v.length !== 0)
        throw invalidArgument(`query ${i}: give a vector or a point id to search by, not both`);
    } else validateVector(dimension, v, `query vector ${i}`, metric);
    if (t?.filter !== undefined) validateFilter(t.filter);
  });
  const filters = new Set(targets?.flatMap((t) => (t.filter ? [JSON.stringify(t.filter)] : [])));
  if (filters.size > limits.maxFiltersPerSearch) {
    throw invalidArgument(
      `search has ${filters.size} different per-query filters; the limit is ${limits.maxFiltersPerSearch} per request (each is planned on its own): send the others in further requests`,
    );
  }
  validateOptionalRange(query.efSearch, 'efSearch', limits.maxEfSearch);
  validateOptionalRange(query.nprobe, 'nprobe', limits.maxNprobe);
  validateFilter(query.filter);
  if (query.scoreThreshold !== undefined && !Number.isFinite(query.scoreThreshold))
    throw invalidArgument(
      `scoreThreshold must be a finite number, got ${describeValue(query.scoreThreshold)}`,
    );
  validateMetadataKeys(query.metadataKeys);
}

/** The metadata keys a read selects (absent or empty: all of them). */
export function validateMetadataKeys(keys: readonly string[] | undefined): void {
  if (keys === undefined) return;
  if (!Array.isArray(keys)) throw invalidArgument('metadataKeys must be a list of keys');
  if (keys.length > limits.maxFilterConditions)
    throw invalidArgument(
      `metadataKeys has ${keys.length} keys; the limit is ${limits.maxFilterConditions}`,
    );
  keys.forEach((k, i) => validateMetadataKey(k, `metadataKeys[${i}]`));
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
  validateMetadataKeys(query.metadataKeys);
}

export const PAYLOAD_INDEX_TYPES: readonly PayloadIndexType[] = [
  'keyword',
  'integer',
  'float',
  'bool',
  'datetime',
];

/** A payload index to create: a key and one of PAYLOAD_INDEX_TYPES. */
export function validatePayloadIndexSpec(spec: PayloadIndexSpec): void {
  if (spec === null || typeof spec !== 'object') throw invalidArgument('payload index is missing');
  validateMetadataKey(spec.key, 'payload index');
  if (!PAYLOAD_INDEX_TYPES.includes(spec.type)) {
    throw invalidArgument(
      `payload index on ${show(spec.key)}: type must be one of ${PAYLOAD_INDEX_TYPES.join(', ')}, got ${describeValue(spec.type)}`,
    );
  }
}

/** The points a write applies to: a non-empty list of ids, or a filter. */
export function validatePointSelector(points: PointSelector): void {
  if (points === null || typeof points !== 'object')
    throw invalidArgument('give the points to change: a list of ids or a filter');
  const hasIds = 'ids' in points && points.ids !== undefined;
  const hasFilter = 'filter' in points && points.filter !== undefined;
  if (hasIds === hasFilter)
    throw invalidArgument(
      'give the points to change as a list of ids or as a filter (one of them)',
    );
  if ('ids' in points && hasIds) validateIds(points.ids);
  else if ('filter' in points) validateFilter(points.filter);
}

/** A payload update: metadata to set or overwrite with, or keys to delete. */
export function validatePayloadUpdate(update: PayloadUpdate): void {
  if (update === null || typeof update !== 'object')
    throw invalidArgument('payload update is missing');
  switch (update.op) {
    case 'set':
    case 'overwrite':
      validateMetadata(update.payload, 'payload');
      return;
    case 'deleteKeys':
      if (!Array.isArray(update.keys) || update.keys.length === 0)
        throw invalidArgument('keys: give at least one metadata key to delete');
      if (update.keys.length > limits.maxFilterConditions)
        throw invalidArgument(
          `keys: at most ${limits.maxFilterConditions} keys per request, got ${update.keys.length}`,
        );
      update.keys.forEach((k, i) => validateMetadataKey(k, `keys[${i}]`));
      return;
    default:
      throw invalidArgument(
        `payload update op must be set, overwrite or deleteKeys, got ${describeValue((update as { op: unknown }).op)}`,
      );
  }
}

/** A batch's shape: 1 to maxOperationsPerBatch operations, at most maxPointsPerWrite points upserted in all. */
export function validateBatchShape(operations: readonly BatchOperation[]): void {
  if (!Array.isArray(operations) || operations.length === 0)
    throw invalidArgument('a batch needs at least one operation');
  if (operations.length > limits.maxOperationsPerBatch) {
    throw invalidArgument(
      `a batch holds at most ${limits.maxOperationsPerBatch} operations, got ${operations.length}; split it`,
    );
  }
  let points = 0;
  for (const op of operations)
    if (op?.kind === 'upsert' && Array.isArray(op.points)) points += op.points.length;
  if (points > limits.maxPointsPerWrite) {
    throw invalidArgument(
      `a batch upserts ${points} points in all; the limit is ${limits.maxPointsPerWrite}: split it`,
    );
  }
}
