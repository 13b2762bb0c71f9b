/**
 * One collection's FAISS index, as the state machine uses it: node-local state
 * derived from the vectors in LevelDB (rebuilt on open), never replicated.
 *
 * - Cosine: vectors are L2-normalized (by the state machine, on write) and
 *   queries are normalized here; the FAISS index then uses inner product.
 * - Labels are the state machine's int64 labels, never reused (the binding
 *   tombstones removals for HNSW).
 * - Training (IVF, PQ, …): an index that needs training cannot take vectors
 *   before it is trained. Until the collection holds {@link trainingThreshold}
 *   points, they go into a *staging* `Flat` index of the same metric (searches
 *   are exact); when the threshold is reached, the state machine hands over all
 *   stored vectors, the real index is trained on them, takes them all, and the
 *   staging index is dropped. The index is trained once; it is re-trained from
 *   all stored vectors only when it is rebuilt (on open).
 * - Search planning (filters): see {@link CollectionIndex.search}.
 */
import type { Metric } from '../domain.js';
import { RaftvecError } from '../errors.js';
import { limits } from '../limits.js';
import { DEFAULT_EF_SEARCH, FaissError, FaissIndex } from './faiss.js';

/**
 * A filtered search whose filter matches at most this many points is answered
 * by brute force over exactly those points (`searchExact`), like Qdrant's
 * planner does under its full-scan threshold. Brute force over m points costs
 * m·d multiply-adds per query: 20,000 × 768 ≈ 15 M, a few milliseconds —
 * about what an HNSW walk costs when most of the graph is filtered out, and
 * exact. Above it the filter is loose enough that the ANN index with an id
 * selector finds k matches quickly; when it still returns fewer than
 * min(k, matches), the planner falls back to brute force over the matches.
 */
export const FILTER_EXACT_THRESHOLD = 20_000;

/**
 * A filtered search whose filter matches at least this share of the points (and more
 * than FILTER_EXACT_THRESHOLD of them) asks the ANN index for more hits than k without
 * a selector and keeps the allowed ones, falling back to the selector for a query that
 * comes back short: a broad filter rejects few of the candidates, and this saves handing
 * FAISS every allowed label.
 */
export const BROAD_FILTER_SHARE = 0.3;

/** Rebuild an index once it holds this many tombstones and more tombstones than live points. */
export const REBUILD_MIN_TOMBSTONES = 10_000;

export interface IndexHit {
  label: number;
  /** Distance as FAISS reports it (squared L2, or inner product for ip/cosine). */
  score: number;
}

/** The labels a filter matched, as the search needs them. */
export interface AllowList {
  readonly size: number;
  has(label: number): boolean;
  /** Every label, for FAISS (built when asked: a broad filter may never need it). */
  labels(): BigInt64Array;
}

/** Whether `sorted` (ascending) holds `label`: a binary search. */
export function sortedHas(sorted: Float64Array, label: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === label) return true;
    if (v < label) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Labels (non-negative integers below 2^53) as the int64 FAISS takes, written as two
 * 32-bit words each: no BigInt per label, which cost more than the search over 10,000
 * allowed points.
 */
export function bigLabels(labels: Float64Array): BigInt64Array {
  const out = new BigInt64Array(labels.length);
  if (!LITTLE_ENDIAN) {
    labels.forEach((l, i) => (out[i] = BigInt(l)));
    return out;
  }
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    words[2 * i] = l >>> 0;
    words[2 * i + 1] = Math.floor(l / 4_294_967_296);
  }
  return out;
}

/** An allow list over labels sorted in ascending order. */
export function sortedAllowList(sorted: Float64Array): AllowList {
  return {
    size: sorted.length,
    has: (label) => sortedHas(sorted, label),
    labels: () => bigLabels(sorted),
  };
}

function allowListOf(labels: BigInt64Array): AllowList {
  let set: Set<number> | undefined;
  return {
    size: labels.length,
    has: (label) => (set ??= new Set(Array.from(labels, Number))).has(label),
    labels: () => labels,
  };
}

export interface IndexSearchOptions {
  efSearch?: number;
  nprobe?: number;
  /**
   * The labels a filter matched (the filter is evaluated by the caller). Absent:
   * no filter. Present and empty: nothing matches.
   */
  allowLabels?: BigInt64Array | AllowList;
  /** Every live label, for the exact fallback of an unfiltered search. */
  allLabels: () => BigInt64Array;
  /** Set when a broad filter's first pass came back short: go on with the selector. */
  broadTried?: boolean;
}

/** L2-normalizes `v` into a new array (float64 accumulation; deterministic). */
export function normalized(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0 || !Number.isFinite(norm)) {
    out.set(v);
    return out;
  }
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/**
 * How many points a collection needs before an index that requires training is
 * trained: max(256, 39·nlist, 2^pq_bits). FAISS k-means wants ≥ 39 training
 * points per centroid (it warns below that and fails below 1 per centroid); PQ
 * needs 2^nbits points per sub-quantizer (256 for the default 8 bits).
 */
export function trainingThreshold(indexSpec: string): number {
  let threshold = 256;
  for (const m of indexSpec.matchAll(/IVF(\d+)/gi))
    threshold = Math.max(threshold, 39 * Number(m[1]));
  for (const m of indexSpec.matchAll(/IMI(\d+)x(\d+)/gi))
    threshold = Math.max(threshold, 39 * 2 ** Number(m[2]));
  for (const m of indexSpec.matchAll(/PQ\d+x(\d+)/gi))
    threshold = Math.max(threshold, 2 ** Number(m[1]));
  return threshold;
}

const faissMetric = (metric: Metric): 'l2' | 'ip' => (metric === 'l2' ? 'l2' : 'ip');

export class CollectionIndex {
  readonly dimension: number;
  readonly metric: Metric;
  readonly indexSpec: string;
  private main: FaissIndex;
  /** The exact index that holds the points while `main` is not trained. */
  private staging: FaissIndex | null;
  private threshold: number;
  private live = 0;
  private readonly isHnsw: boolean;
  private readonly isFlat: boolean;

  private constructor(dimension: number, metric: Metric, indexSpec: string, main: FaissIndex) {
    this.dimension = dimension;
    this.metric = metric;
    this.indexSpec = indexSpec;
    this.main = main;
    this.staging = main.isTrained
      ? null
      : FaissIndex.create(dimension, 'Flat', faissMetric(metric));
    this.threshold = trainingThreshold(indexSpec);
    this.isHnsw = /HNSW/i.test(indexSpec);
    this.isFlat = indexSpec.trim() === 'Flat';
  }

  /**
   * Creates an empty index. Throws RaftvecError INVALID_ARGUMENT when FAISS
   * rejects the factory string for this dimension (deterministic for a given
   * FAISS build, so the state machine may rely on it).
   */
  static create(dimension: number, metric: Metric, indexSpec: string): CollectionIndex {
    let main: FaissIndex;
    try {
      main = FaissIndex.create(dimension, indexSpec, faissMetric(metric));
    } catch (err) {
      // Only FAISS refusing the spec is the caller's mistake (and deterministic);
      // a missing addon or an internal failure must not become an INVALID_ARGUMENT
      // result that this replica alone would record.
      if (
        !(err instanceof FaissError) ||
        (err.code !== 'INVALID_ARGUMENT' && err.code !== 'FAISS')
      ) {
        throw new RaftvecError(
          'INTERNAL',
          `cannot create a FAISS index: ${(err as Error).message}`,
        );
      }
      throw new RaftvecError(
        'INVALID_ARGUMENT',
        `index spec ${JSON.stringify(indexSpec)} is not a FAISS factory string usable with dimension ${dimension}: ${(err as Error).message}`,
      );
    }
    return new CollectionIndex(dimension, metric, indexSpec, main);
  }

  /**
   * An index from its checkpoint file (`checkpointTo` output of a trained index), made
   * to hold exactly the live points: `remove` are labels the checkpoint has but the
   * collection no longer does, `add` the points it has that the checkpoint lacks.
   * Labels are never reused and a label's vector never changes, so the result holds
   * what a rebuild from every stored vector would. Throws if the file is damaged or
   * not an index of this dimension and metric.
   */
  static async restore(
    dimension: number,
    metric: Metric,
    indexSpec: string,
    file: string,
    reconcile: { remove: BigInt64Array; addVectors: Float32Array; addLabels: BigInt64Array },
  ): Promise<CollectionIndex> {
    const main = await FaissIndex.deserializeFile(file);
    if (main.dimension !== dimension || main.metric !== faissMetric(metric) || !main.isTrained) {
      throw new RaftvecError(
        'INTERNAL',
        `checkpointed index is ${main.dimension}-d ${main.metric}${main.isTrained ? '' : ', untrained'}; the collection is ${dimension}-d ${metric}`,
      );
    }
    const index = new CollectionIndex(dimension, metric, indexSpec, main);
    index.live = main.ntotal;
    await index.remove(reconcile.remove);
    inLabelOrder(reconcile.addVectors, reconcile.addLabels, dimension);
    await index.add(reconcile.addVectors, reconcile.addLabels);
    return index;
  }

  /**
   * Serializes the trained index into `file` for a checkpoint, off the event loop;
   * false (nothing written) while the points are held in the untrained staging index
   * (a rebuild of that exact index is cheap).
   */
  async checkpointTo(file: string): Promise<boolean> {
    if (this.staging !== null) return false;
    await this.main.serializeToFile(file);
    return true;
  }

  /**
   * Whether building this index from the stored vectors costs about what loading it
   * from a checkpoint does, so that a checkpoint taken only for a restart after a crash
   * buys nothing: a Flat index is just its vectors. Measured at 1M × 128-d Flat: 14.9 s
   * rebuilt, 16.0 s from a checkpoint plus the scan of the store that a restart after a
   * crash does either way (`npm run bench -- lifecycle`). (An index in staging is never
   * checkpointed: see checkpointTo.)
   */
  get rebuildsAsFastAsItLoads(): boolean {
    return this.isFlat;
  }

  /** Live points (added and not removed). */
  get size(): number {
    return this.live;
  }

  /** True while the index is untrained and points are searched exactly in the staging index. */
  get staged(): boolean {
    return this.staging !== null;
  }

  /** Whether the caller should now call {@link load} with every stored vector, to train the index. */
  get wantsTraining(): boolean {
    return this.staging !== null && this.live >= this.threshold;
  }

  /** The index that currently holds the points. */
  private get target(): FaissIndex {
    return this.staging ?? this.main;
  }

  private useMain(index: FaissIndex, live: number): void {
    this.main = index;
    this.staging = null;
    this.live = live;
  }

  /** Prepares queries: one flat array, normalized for cosine. */
  prepareQueries(vectors: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(vectors.length * this.dimension);
    vectors.forEach((v, i) =>
      out.set(this.metric === 'cosine' ? normalized(v) : v, i * this.dimension),
    );
    return out;
  }

  /** Adds vectors (already normalized for cosine) under fresh labels. */
  async add(vectors: Float32Array, labels: BigInt64Array): Promise<void> {
    if (labels.length === 0) return;
    await this.target.add(vectors, labels);
    this.live += labels.length;
  }

  /** Removes labels that are present. */
  async remove(labels: BigInt64Array): Promise<void> {
    if (labels.length === 0) return;
    await this.target.remove(labels);
    this.live -= labels.length;
  }

  /** Whether the caller should now call {@link load} with every stored vector to drop tombstones. */
  get wantsRebuild(): boolean {
    const dead = this.target.tombstoneCount;
    return dead >= REBUILD_MIN_TOMBSTONES && dead > this.live;
  }

  /**
   * Replaces the index's content with exactly these vectors (every live point):
   * a fresh FAISS index, trained on them first if it needs training and there
   * are enough of them, else a staging `Flat` index. Used on open, when the
   * training threshold is crossed, and to drop tombstones (HNSW and IVF keep
   * removed vectors in memory as tombstones until rebuilt).
   *
   * When training fails, the points stay in an exact staging index and
   * training is tried again once the collection has doubled.
   *
   * The arrays are put in label order in place first ({@link inLabelOrder}).
   */
  async load(vectors: Float32Array, labels: BigInt64Array): Promise<void> {
    inLabelOrder(vectors, labels, this.dimension);
    const fresh = FaissIndex.create(this.dimension, this.indexSpec, faissMetric(this.metric));
    if (fresh.isTrained) {
      if (labels.length > 0) await fresh.add(vectors, labels);
      this.useMain(fresh, labels.length);
      return;
    }
    if (labels.length >= this.threshold) {
      try {
        await fresh.train(vectors);
        await fresh.add(vectors, labels);
        this.useMain(fresh, labels.length);
        return;
      } catch {
        // Node-local: searches stay exact in the staging index meanwhile.
        this.threshold = Math.max(this.threshold, labels.length) * 2;
      }
    }
    const staging = FaissIndex.create(this.dimension, 'Flat', faissMetric(this.metric));
    if (labels.length > 0) await staging.add(vectors, labels);
    this.main = FaissIndex.create(this.dimension, this.indexSpec, faissMetric(this.metric));
    this.staging = staging;
    this.live = labels.length;
  }

  /**
   * Searches `nq` prepared queries (see {@link prepareQueries}) for `k` hits each.
   *
   * Unfiltered: the ANN index; a query that returns fewer than min(k, size)
   * hits (HNSW under tombstones, IVF with few probes) is retried — for HNSW
   * with a larger efSearch, then by brute force over every live point.
   *
   * Filtered (`allowLabels` = the matching labels): when at most
   * {@link FILTER_EXACT_THRESHOLD} points match, brute force over just those;
   * otherwise the ANN index restricted to them by an id selector, with brute
   * force over the matches for any query that comes back short of
   * min(k, matches). Either way a filtered search returns k hits whenever at
   * least k points match.
   */
  async search(
    queries: Float32Array,
    nq: number,
    k: number,
    opts: IndexSearchOptions,
  ): Promise<IndexHit[][]> {
    const index = this.target;
    const annOptions: { efSearch?: number; nprobe?: number; allowIds?: BigInt64Array } = {};
    // The binding ignores a knob the index type has no use for (efSearch also
    // tunes an IVF's HNSW quantizer).
    if (opts.efSearch !== undefined) annOptions.efSearch = opts.efSearch;
    if (opts.nprobe !== undefined) annOptions.nprobe = opts.nprobe;

    let candidates: BigInt64Array | null;
    let want: number;
    if (opts.allowLabels) {
      const allow =
        opts.allowLabels instanceof BigInt64Array
          ? allowListOf(opts.allowLabels)
          : opts.allowLabels;
      want = Math.min(k, allow.size);
      if (want === 0) return Array.from({ length: nq }, () => []);
      if (allow.size <= FILTER_EXACT_THRESHOLD) {
        return toHits(await index.searchExact(queries, want, allow.labels()), nq, want);
      }
      if (allow.size >= BROAD_FILTER_SHARE * this.live && !this.staging && !opts.broadTried) {
        const broad = await this.searchBroad(queries, nq, k, want, allow, annOptions);
        if (broad.short.length === 0) return broad.hits;
        const rest = await this.search(
          subsetOf(queries, broad.short, this.dimension),
          broad.short.length,
          k,
          {
            ...opts,
            allowLabels: { size: allow.size, has: allow.has, labels: allow.labels },
            broadTried: true,
          },
        );
        return replaced(broad.hits, broad.short, rest);
      }
      candidates = allow.labels();
      annOptions.allowIds = candidates;
    } else {
      candidates = null;
      want = Math.min(k, this.live);
      if (want === 0) return Array.from({ length: nq }, () => []);
    }

    let hits = toHits(await index.search(queries, k, annOptions), nq, k);
    let short = shortQueries(hits, want);
    if (short.length > 0 && this.isHnsw && !this.staging) {
      const efSearch = Math.min(
        limits.maxEfSearch,
        Math.max(2 * k, 4 * (annOptions.efSearch ?? DEFAULT_EF_SEARCH)),
      );
      hits = await this.redo(
        hits,
        short,
        queries,
        (q) => index.search(q, k, { ...annOptions, efSearch }),
        k,
      );
      short = shortQueries(hits, want);
    }
    if (short.length > 0) {
      const pool = candidates ?? opts.allLabels();
      const n = Math.min(k, pool.length);
      hits = await this.redo(hits, short, queries, (q) => index.searchExact(q, n, pool), n);
    }
    return hits;
  }

  /**
   * A broad filter: the ANN index without a selector for enough hits that, at the
   * filter's share of the points, k of them are likely allowed; the allowed ones are
   * kept. `short`: the queries that found fewer than `want`.
   */
  private async searchBroad(
    queries: Float32Array,
    nq: number,
    k: number,
    want: number,
    allow: AllowList,
    annOptions: { efSearch?: number; nprobe?: number },
  ): Promise<{ hits: IndexHit[][]; short: number[] }> {
    const share = allow.size / Math.max(1, this.live);
    const wider = Math.min(limits.maxK, Math.ceil((2 * k) / share));
    const raw = toHits(await this.target.search(queries, wider, annOptions), nq, wider);
    const hits = raw.map((row) => row.filter((h) => allow.has(h.label)).slice(0, k));
    return { hits, short: shortQueries(hits, want) };
  }

  private async redo(
    hits: IndexHit[][],
    which: number[],
    queries: Float32Array,
    run: (q: Float32Array) => Promise<{ distances: Float32Array; labels: BigInt64Array }>,
    k: number,
  ): Promise<IndexHit[][]> {
    const again = toHits(await run(subsetOf(queries, which, this.dimension)), which.length, k);
    return replaced(hits, which, again);
  }
}

/**
 * Puts `labels` in ascending order and `vectors` (`d` floats each) with them, in place.
 * An index built from them holds its points in label order, as one that took them write
 * by write does (labels grow with each upsert): FAISS breaks ties between equal
 * distances by position, so replicas that loaded their index and replicas that did not
 * then choose among tied points alike.
 */
export function inLabelOrder(vectors: Float32Array, labels: BigInt64Array, d: number): void {
  const n = labels.length;
  const keys = Float64Array.from(labels, Number);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
  if (sorted) return;
  // order[i]: where the element that belongs at i is now. Applied cycle by cycle, so
  // only one vector is held aside at a time.
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
  const placed = new Uint8Array(n);
  const heldVector = new Float32Array(d);
  for (let start = 0; start < n; start++) {
    if (placed[start]) continue;
    heldVector.set(vectors.subarray(start * d, (start + 1) * d));
    const heldLabel = labels[start]!;
    let i = start;
    for (;;) {
      placed[i] = 1;
      const from = order[i]!;
      if (from === start) {
        vectors.set(heldVector, i * d);
        labels[i] = heldLabel;
        break;
      }
      vectors.copyWithin(i * d, from * d, (from + 1) * d);
      labels[i] = labels[from]!;
      i = from;
    }
  }
}

/** `hits` with the rows of queries `which` replaced by `again` (in that order). */
function replaced(hits: IndexHit[][], which: readonly number[], again: IndexHit[][]): IndexHit[][] {
  const out = hits.slice();
  which.forEach((qi, j) => {
    out[qi] = again[j]!;
  });
  return out;
}

function subsetOf(queries: Float32Array, which: readonly number[], d: number): Float32Array {
  const out = new Float32Array(which.length * d);
  which.forEach((qi, j) => out.set(queries.subarray(qi * d, (qi + 1) * d), j * d));
  return out;
}

function toHits(
  result: { distances: Float32Array; labels: BigInt64Array },
  nq: number,
  k: number,
): IndexHit[][] {
  const out: IndexHit[][] = [];
  for (let q = 0; q < nq; q++) {
    const row: IndexHit[] = [];
    for (let j = 0; j < k; j++) {
      const label = result.labels[q * k + j];
      if (label === undefined || label < 0n) continue;
      row.push({ label: Number(label), score: result.distances[q * k + j]! });
    }
    out.push(row);
  }
  return out;
}

function shortQueries(hits: IndexHit[][], want: number): number[] {
  const out: number[] = [];
  hits.forEach((row, i) => {
    if (row.length < want) out.push(i);
  });
  return out;
}
