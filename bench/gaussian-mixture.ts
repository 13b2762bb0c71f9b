/**
 * Seeded vectors shaped like embeddings: a mixture of Gaussian clusters, and
 * queries drawn near the data. Used by `npm run bench -- search` (recall/QPS on
 * clustered data) and by the CI recall test; it depends on nothing but the
 * shared seeded PRNG, and the same options and seed always give the same bytes.
 *
 * The model, per component j of a point of cluster c:
 *
 *   x[j] = center[c][j] + spread * scale[j] * g,   g ~ N(0, 1)
 *   center[c][j] ~ N(0, 1)
 *   scale[j] = (j + 1) ^ -decay, normalised so that mean(scale[j]^2) = 1
 *
 * Each point belongs to one of `clusters` clusters, picked uniformly at random.
 * `decay` > 0 makes the spread within a cluster fall off along the dimensions
 * (a few directions carry most of the variance, as in real embeddings, whose
 * intrinsic dimension is far below their width); `decay` = 0 is isotropic noise
 * around each center. `spread` is relative to the spread of the centers (1 per
 * component): 0.5 means points sit about half as far from their center as the
 * centers are from the origin.
 *
 *   const data = gaussianMixture({ n: 100_000, dim: 128, seed: 1 });
 *   const queries = queriesNear(data, 200, 2, 0.1);
 */
import { mulberry32 } from '../test/support/random.js';

export interface GaussianMixtureOptions {
  /** Number of vectors. */
  n: number;
  /** Components per vector. */
  dim: number;
  /** Number of clusters (default 100). */
  clusters?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Standard deviation of a point around its center, relative to the centers' (default 0.5). */
  spread?: number;
  /** How fast the spread within a cluster falls off along the dimensions (default 1; 0 = isotropic). */
  decay?: number;
}

export interface GaussianMixture {
  /** `n * dim` components, row-major. */
  vectors: Float32Array;
  dim: number;
  /** `clusters * dim` components, row-major. */
  centers: Float32Array;
  /** The cluster of each vector. */
  clusterOf: Uint32Array;
}

export const GAUSSIAN_MIXTURE_DEFAULTS = {
  clusters: 100,
  seed: 1,
  spread: 0.5,
  decay: 1,
} as const;

/** A standard normal sampler over a uniform [0, 1) source (Box-Muller; uses both values). */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const out = spare;
      spare = undefined;
      return out;
    }
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Per-dimension scale of the spread within a cluster, with mean square 1. */
export function dimensionScales(dim: number, decay: number): Float64Array {
  const scales = Float64Array.from({ length: dim }, (_, j) => Math.pow(j + 1, -decay));
  const meanSquare = scales.reduce((sum, s) => sum + s * s, 0) / dim;
  const norm = 1 / Math.sqrt(meanSquare);
  for (let j = 0; j < dim; j++) scales[j]! *= norm;
  return scales;
}

/** `n` vectors from a seeded mixture of Gaussian clusters (see the module comment). */
export function gaussianMixture(options: GaussianMixtureOptions): GaussianMixture {
  const { n, dim } = options;
  const clusters = options.clusters ?? GAUSSIAN_MIXTURE_DEFAULTS.clusters;
  const seed = options.seed ?? GAUSSIAN_MIXTURE_DEFAULTS.seed;
  const spread = options.spread ?? GAUSSIAN_MIXTURE_DEFAULTS.spread;
  const decay = options.decay ?? GAUSSIAN_MIXTURE_DEFAULTS.decay;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(dim) || dim < 1)
    throw new RangeError(`dim must be an integer >= 1, got ${dim}`);
  if (!Number.isInteger(clusters) || clusters < 1)
    throw new RangeError(`clusters must be an integer >= 1, got ${clusters}`);
  if (!(spread >= 0) || !Number.isFinite(spread))
    throw new RangeError(`spread must be finite and >= 0, got ${spread}`);
  if (!(decay >= 0) || !Number.isFinite(decay))
    throw new RangeError(`decay must be finite and >= 0, got ${decay}`);

  const uniform = mulberry32(seed);
  const normal = normalSampler(uniform);
  const centers = new Float32Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = normal();
  const scales = dimensionScales(dim, decay);
  const vectors = new Float32Array(n * dim);
  const clusterOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.min(clusters - 1, Math.floor(uniform() * clusters));
    clusterOf[i] = c;
    const center = c * dim;
    const row = i * dim;
    for (let j = 0; j < dim; j++) {
      vectors[row + j] = centers[center + j]! + spread * scales[j]! * normal();
    }
  }
  return { vectors, dim, centers, clusterOf };
}

/**
 * `count` queries, each a randomly chosen data vector plus Gaussian noise of
 * standard deviation `noise` per component (absolute, in the data's units;
 * 0 gives exact copies). Seeded: the same inputs give the same queries.
 */
export function queriesNear(
  data: { vectors: Float32Array; dim: number },
  count: number,
  seed: number,
  noise: number,
): Float32Array {
  const { vectors, dim } = data;
  const n = vectors.length / dim;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError('queriesNear needs at least one data vector');
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be an integer >= 0, got ${count}`);
  if (!(noise >= 0) || !Number.isFinite(noise))
    throw new RangeError(`noise must be finite and >= 0, got ${noise}`);
  const uniform = mulberry32(seed);
  const normal = normalSampler(uniform);
  const out = new Float32Array(count * dim);
  for (let q = 0; q < count; q++) {
    const source = Math.min(n - 1, Math.floor(uniform() * n)) * dim;
    for (let j = 0; j < dim; j++) out[q * dim + j] = vectors[source + j]! + noise * normal();
  }
  return out;
}
