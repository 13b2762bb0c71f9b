/**
 * Typed wrapper around raftvec's own FAISS binding (native/, FAISS 1.7.3).
 *
 * Every index is `IndexIDMap2(index_factory(d, factory, metric))`, so labels
 * are ours (non-negative int64). Vectors and ids cross into C++ without
 * copying: pass `Float32Array` / `BigInt64Array`, and do not transfer, detach
 * or resize them while the returned promise is pending. add/remove/train/
 * search/searchExact/serializeAsync run on the libuv thread pool; each index
 * carries a reader/writer lock (searches share it, writes are exclusive,
 * waiting writers go first), so any method may be called concurrently.
 *
 * Removal: `removeStrategy` says how an index type removes vectors.
 * - `'compact'` (Flat, PQ, SQ, LSH, RQ: FAISS's IndexFlatCodes family) —
 *   removed for real.
 * - `'tombstone'` (HNSW, IVF*, Refine, fast-scan, ...) — the label is
 *   recorded as removed and excluded from every search; the vector stays in
 *   memory until the index is rebuilt (`tombstoneCount` tells when that is
 *   worth it). HNSW cannot remove in FAISS 1.7.3, and IDMap2's remove over an
 *   IVF index corrupts the label mapping, hence tombstones there.
 * Re-adding a removed label is allowed and creates a new entry; the old
 * tombstoned entry stays excluded. Adding a label that is currently live is
 * rejected (`ALREADY_EXISTS`).
 *
 * Results: `n * k` entries, row-major. Empty slots have label `-1n` and
 * distance `+Infinity` (l2) or `-Infinity` (ip). Distances are squared L2
 * for `'l2'` and inner products for `'ip'` (cosine = normalise, then `'ip'`).
 * Unfiltered approximate searches (HNSW with many tombstones, IVF with a
 * small nprobe) may return fewer than k labels.
 *
 * Input: every vector/query component must be finite with |x| <= 1e15
 * (otherwise `INVALID_ARGUMENT`; FAISS's IVF would abort the process). These
 * limits are exported by the addon (`nativeLimits`), and loading fails when
 * src/limits.ts would let through anything they refuse.
 * Factory strings FAISS 1.7.3 accepts but then hangs or crashes on are
 * rejected (NSG, HNSW with M < 2, zero parameters); even so, a factory string
 * is code for FAISS: let users pick from a vetted list, never pass them
 * through raw (raftvec's list is `validateIndexSpec` in src/validation.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limits } from '../limits.js';

export type FaissMetric = 'l2' | 'ip';

export type RemoveStrategy = 'compact' | 'tombstone';

/**
 * The efSearch of an HNSW search that names none (native kDefaultEfSearch). An index
 * saved by an older build keeps the default it was saved with: raftvec's state
 * machine passes this value explicitly.
 */
export const DEFAULT_EF_SEARCH = 256;

export interface SearchOptions {
  /** HNSW search breadth for this call (also applies to an IVF's HNSW quantizer). Ignored by other index types. */
  efSearch?: number;
  /** Number of IVF lists probed for this call. Ignored by non-IVF indexes. */
  nprobe?: number;
  /**
   * Only these labels may be returned. Unknown or removed labels are ignored.
   * Each row holds `min(k, number of live allowed labels)` results: rows an
   * approximate index leaves short are completed by an exact search over the
   * allowed labels.
   */
  allowIds?: BigInt64Array;
  /**
   * HNSW: search with FAISS's own HNSW::search instead of the binding's (same
   * results; a per-call efSearch then shuts out every other search on the index
   * while it runs). For checking the binding against FAISS, not for serving.
   */
  faissOwnSearch?: boolean;
}

export interface SearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface FaissThreadConfig {
  /** OpenMP threads used inside one search call (default 1; env RAFTVEC_FAISS_SEARCH_THREADS). */
  searchThreads: number;
  /**
   * OpenMP threads for add batches of >= 1000 vectors and train sets of >=
   * 50000 vectors (smaller ones use 1 thread: FAISS's short parallel regions
   * were measured to be much slower with a team on a busy host). Default: all
   * cores; env RAFTVEC_FAISS_BUILD_THREADS.
   */
  buildThreads: number;
  /** OpenBLAS threads, process-wide (default 1; env RAFTVEC_FAISS_BLAS_THREADS). */
  blasThreads: number;
}

export type FaissErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'CORRUPT'
  | 'FAISS'
  | 'NATIVE_MODULE'
  | 'INTERNAL';

const ERROR_CODES: ReadonlySet<string> = new Set<FaissErrorCode>([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'CORRUPT',
  'FAISS',
  'NATIVE_MODULE',
  'INTERNAL',
]);

/**
 * Any failure of this module. `code` is machine-readable; `cause` holds the
 * original native error (a `TypeError`/`RangeError` for bad arguments).
 * `'FAISS'` carries FAISS's own message.
 */
export class FaissError extends Error {
  readonly code: FaissErrorCode;

  constructor(code: FaissErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaissError';
    this.code = code;
  }
}

function isFaissErrorCode(code: unknown): code is FaissErrorCode {
  return typeof code === 'string' && ERROR_CODES.has(code);
}

function toFaissError(err: unknown): FaissError {
  if (err instanceof FaissError) return err;
  if (err instanceof Error) {
    const code: unknown = (err as Error & { code?: unknown }).code;
    if (isFaissErrorCode(code)) return new FaissError(code, err.message, { cause: err });
    const fallback: FaissErrorCode =
      err instanceof TypeError || err instanceof RangeError ? 'INVALID_ARGUMENT' : 'INTERNAL';
    return new FaissError(fallback, err.message, { cause: err });
  }
  return new FaissError('INTERNAL', String(err), { cause: err });
}

// ---- the native module ----------------------------------------------------------

interface NativeSearchOptions {
  efSearch?: number;
  nprobe?: number;
  allowIds?: BigInt64Array;
  faissOwnSearch?: boolean;
}

interface NativeIndex {
  add(vectors: Float32Array, ids: BigInt64Array): Promise<void>;
  remove(ids: BigInt64Array): Promise<number>;
  search(queries: Float32Array, k: number, options?: NativeSearchOptions): Promise<SearchResult>;
  searchExact(queries: Float32Array, k: number, ids: BigInt64Array): Promise<SearchResult>;
  train(vectors: Float32Array): Promise<void>;
  serialize(): Buffer;
  serializeAsync(): Promise<Buffer>;
  serializeToFileAsync(path: string): Promise<number>;
  reconstruct(id: bigint): Float32Array;
  readonly dimension: number;
  readonly ntotal: number;
  readonly metric: FaissMetric;
  readonly isTrained: boolean;
  readonly tombstoneCount: number;
  readonly removeStrategy: RemoveStrategy;
}

/** The binding's input limits (native/src: index_core.h and addon.cc). */
export interface NativeLimits {
  /** Largest |component| accepted (the float32 1e15f). */
  readonly maxAbsValue: number;
  readonly maxDimension: number;
  readonly maxK: number;
  /** queries × k of one search call. */
  readonly maxResultEntries: number;
  /** efSearch and nprobe. */
  readonly maxSearchKnob: number;
}

/**
 * Where src/limits.ts would let through something the binding refuses (one
 * line per disagreement; empty when they agree). Magnitude and dimension must
 * be equal (validation accepts exactly what FAISS can take); the per-call
 * bounds of TS may be stricter.
 */
export function nativeLimitMismatches(n: NativeLimits): string[] {
  const out: string[] = [];
  const equal = (name: string, ts: number, native: number): void => {
    if (ts !== native) out.push(`${name}: TypeScript ${ts}, native ${native}`);
  };
  const atMost = (name: string, ts: number, native: number): void => {
    if (!(ts <= native)) out.push(`${name}: TypeScript ${ts} exceeds native ${native}`);
  };
  // Validation compares float32 components with the double 1e15; the binding
  // compares with the float 1e15f. Both accept exactly the float32 values <= 1e15f.
  equal('maxAbsVectorValue (as float32)', Math.fround(limits.maxAbsVectorValue), n.maxAbsValue);
  equal('maxDimension', limits.maxDimension, n.maxDimension);
  atMost('maxK', limits.maxK, n.maxK);
  atMost('maxResultsPerSearch', limits.maxResultsPerSearch, n.maxResultEntries);
  atMost('maxEfSearch', limits.maxEfSearch, n.maxSearchKnob);
  atMost('maxNprobe', limits.maxNprobe, n.maxSearchKnob);
  return out;
}

interface NativeModule {
  NativeFaissIndex: new (dimension: number, factory: string, metric: string) => NativeIndex;
  deserialize(buf: Uint8Array): NativeIndex;
  deserializeAsync(buf: Uint8Array): Promise<NativeIndex>;
  deserializeFileAsync(path: string): Promise<NativeIndex>;
  getThreadConfig(): FaissThreadConfig;
  setThreadConfig(config: Partial<FaissThreadConfig>): FaissThreadConfig;
  releaseFreeMemory(): boolean;
  readonly limits: NativeLimits;
  readonly faissVersion: string;
  /** Which FAISS build is linked in (see native/build.mjs); absent in older addons. */
  readonly faissBuild?: unknown;
}

const ADDON_PATH = ['native', 'build', 'Release', 'raftvec_faiss.node'] as const;

function isPackageRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  if (existsSync(join(dir, 'native'))) return true;
  try {
    const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { name?: unknown }).name === 'raftvec'
    );
  } catch {
    return false;
  }
}

/** Where the addon lives: `<package root>/native/build/Release/raftvec_faiss.node`. */
export function faissAddonPath(): string {
  const override = process.env['RAFTVEC_FAISS_ADDON'];
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isPackageRoot(dir)) return join(dir, ...ADDON_PATH);
    const parent = dirname(dir);
    if (parent === dir) {
      throw new FaissError(
        'NATIVE_MODULE',
        'cannot find the raftvec package root (package.json with native/) above ' +
          dirname(fileURLToPath(import.meta.url)),
      );
    }
    dir = parent;
  }
}

let loaded: NativeModule | undefined;

function native(): NativeModule {
  if (loaded) return loaded;
  const file = faissAddonPath();
  if (!existsSync(file)) {
    throw new FaissError(
      'NATIVE_MODULE',
      `the FAISS addon is not built (${file} is missing): run \`node native/build.mjs\` ` +
        '(needs `apt-get install -y libfaiss-dev libopenblas-dev`)',
    );
  }
  let mod: NativeModule;
  try {
    const require = createRequire(import.meta.url);
    mod = require(file) as NativeModule;
  } catch (err) {
    throw new FaissError(
      'NATIVE_MODULE',
      `cannot load the FAISS addon ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  // A stale addon (or edited limits on one side only) would let validated,
  // committed writes fail to apply on every replica: refuse to run with it.
  const mismatches =
    typeof mod.limits === 'object' && mod.limits !== null
      ? nativeLimitMismatches(mod.limits)
      : ['the addon exports no limits (built from an older native/src)'];
  if (mismatches.length > 0) {
    throw new FaissError(
      'NATIVE_MODULE',
      `the FAISS addon ${file} disagrees with src/limits.ts (${mismatches.join('; ')}): rebuild it with \`node native/build.mjs\``,
    );
  }
  loaded = mod;
  return loaded;
}

function wrapSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toFaissError(err);
  }
}

async function wrapAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFaissError(err);
  }
}

/** The binding's own input limits (validation is checked against them at load). */
export function nativeLimits(): NativeLimits {
  return wrapSync(() => native().limits);
}

/** The FAISS version the addon was built against (e.g. "1.7.3"). */
export function faissVersion(): string {
  return wrapSync(() => native().faissVersion);
}

/**
 * Which FAISS build the addon links: 'avx2' (built from Debian's source package
 * with -DFAISS_OPT_LEVEL=avx2) or 'generic' (Debian's libfaiss-dev).
 */
export function faissBuildInfo(): {
  variant: 'avx2' | 'generic';
  source: string;
  faissVersion: string;
} {
  return wrapSync(() => {
    const mod = native();
    const build = mod.faissBuild as { variant?: unknown; source?: unknown } | null | undefined;
    if (build === undefined) {
      return {
        variant: 'generic',
        source: 'unknown (older addon)',
        faissVersion: mod.faissVersion,
      };
    }
    const variant = build?.variant;
    const source = build?.source;
    if ((variant !== 'avx2' && variant !== 'generic') || typeof source !== 'string') {
      throw new FaissError(
        'NATIVE_MODULE',
        `the FAISS addon reports an invalid faissBuild: ${JSON.stringify(build)}`,
      );
    }
    return { variant, source, faissVersion: mod.faissVersion };
  });
}

export function getFaissThreadConfig(): FaissThreadConfig {
  return wrapSync(() => native().getThreadConfig());
}

/** Changes thread counts for subsequent calls; returns the new configuration. */
export function configureFaissThreads(config: Partial<FaissThreadConfig>): FaissThreadConfig {
  return wrapSync(() => native().setThreadConfig(config));
}

/**
 * Returns the memory the C allocator holds free to the OS (glibc's malloc_trim):
 * after a load or a snapshot install frees many small buffers, they would otherwise
 * stay in RSS. Costs a few milliseconds per GB of heap; false where unsupported.
 */
export function releaseFreeMemory(): boolean {
  return wrapSync(() => native().releaseFreeMemory());
}

// ---- the index --------------------------------------------------------------------

export class FaissIndex {
  readonly #native: NativeIndex;

  private constructor(nativeIndex: NativeIndex) {
    this.#native = nativeIndex;
  }

  /**
   * `factory` is any FAISS 1.7.3 index_factory string ("Flat", "HNSW32",
   * "IVF256,Flat", "PQ16np", "OPQ16,IVF256,PQ16", ...) without IDMap. Note
   * that a bare "PQ<M>" turns on FAISS's polysemous training, which is slow;
   * add the "np" suffix unless you need it.
   */
  static create(dimension: number, factory: string, metric: FaissMetric): FaissIndex {
    return wrapSync(
      () => new FaissIndex(new (native().NativeFaissIndex)(dimension, factory, metric)),
    );
  }

  /** Rebuilds an index from `serialize()` output. Throws `CORRUPT` on bad input. */
  static deserialize(buf: Buffer): FaissIndex {
    return wrapSync(() => new FaissIndex(native().deserialize(buf)));
  }

  /** Like `deserialize`, off the event loop (the buffer must stay untouched until it settles). */
  static deserializeAsync(buf: Buffer): Promise<FaissIndex> {
    return wrapAsync(async () => new FaissIndex(await native().deserializeAsync(buf)));
  }

  /**
   * Reads an index from a file written by {@link serializeToFile}, off the event loop,
   * without a buffer of the whole file: the envelope's CRC-32 is checked in one pass
   * over the file, and FAISS reads it in a second.
   */
  static deserializeFile(path: string): Promise<FaissIndex> {
    return wrapAsync(async () => new FaissIndex(await native().deserializeFileAsync(path)));
  }

  /** Adds `ids.length` vectors (`vectors.length === ids.length * dimension`). Labels must be >= 0 and not live. */
  add(vectors: Float32Array, ids: BigInt64Array): Promise<void> {
    return wrapAsync(() => this.#native.add(vectors, ids));
  }

  /** Removes the given labels; resolves to how many were live. Unknown labels are ignored. */
  remove(ids: BigInt64Array): Promise<number> {
    return wrapAsync(() => this.#native.remove(ids));
  }

  /** k-NN for `queries.length / dimension` queries; `1 <= k <= 100000`. */
  search(queries: Float32Array, k: number, options?: SearchOptions): Promise<SearchResult> {
    return wrapAsync(() => this.#native.search(queries, k, options));
  }

  /**
   * Exact (brute-force) k-NN restricted to `ids`; unknown or removed ids are
   * skipped. For very selective filters. Vectors are reconstructed from the
   * index (so lossy codecs like PQ give their decoded vectors).
   */
  searchExact(queries: Float32Array, k: number, ids: BigInt64Array): Promise<SearchResult> {
    return wrapAsync(() => this.#native.searchExact(queries, k, ids));
  }

  /** Trains the index (IVF, PQ, ...). Must happen before the first add. */
  train(vectors: Float32Array): Promise<void> {
    return wrapAsync(() => this.#native.train(vectors));
  }

  /** Snapshot bytes ("RVFX" envelope: FAISS bytes + tombstones + CRC-32). Blocks the event loop; prefer `serializeAsync` for large indexes. */
  serialize(): Buffer {
    return wrapSync(() => this.#native.serialize());
  }

  serializeAsync(): Promise<Buffer> {
    return wrapAsync(() => this.#native.serializeAsync());
  }

  /**
   * Writes the same envelope as {@link serialize} to `path` (created or truncated, not
   * fsynced) off the event loop, with no buffer of the whole index; resolves with its size.
   */
  serializeToFile(path: string): Promise<number> {
    return wrapAsync(() => this.#native.serializeToFileAsync(path));
  }

  /** The stored vector of a live label (decoded for lossy codecs). Throws `NOT_FOUND` otherwise. */
  reconstruct(id: bigint): Float32Array {
    return wrapSync(() => this.#native.reconstruct(id));
  }

  get dimension(): number {
    return this.#native.dimension;
  }

  /** Number of live vectors (tombstoned ones excluded). */
  get ntotal(): number {
    return this.#native.ntotal;
  }

  get metric(): FaissMetric {
    return this.#native.metric;
  }

  get isTrained(): boolean {
    return this.#native.isTrained;
  }

  /** Vectors removed but still held in memory (tombstone strategy). */
  get tombstoneCount(): number {
    return this.#native.tombstoneCount;
  }

  get removeStrategy(): RemoveStrategy {
    return this.#native.removeStrategy;
  }
}
