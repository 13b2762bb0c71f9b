/** JSON output of the CLI: vectors as plain lists with the shortest decimals that round-trip to float32. */
import type { CollectionInfo, SearchHit, StoredPoint } from '../domain.js';

/** The shortest decimal that is the same float32 (0.1f prints as 0.1, not 0.10000000149011612). */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

const vectorJson = (v: Float32Array): number[] => Array.from(v, shortestFloat32);

export function pointJson(p: StoredPoint): Record<string, unknown> {
  return {
    id: p.id,
    ...(p.vector && { vector: vectorJson(p.vector) }),
    ...(p.metadata && { metadata: p.metadata }),
  };
}

export function hitJson(h: SearchHit): Record<string, unknown> {
  return {
    id: h.id,
    score: shortestFloat32(h.score),
    ...(h.vector && { vector: vectorJson(h.vector) }),
    ...(h.metadata && { metadata: h.metadata }),
  };
}

export const collectionJson = (c: CollectionInfo): Record<string, unknown> => ({ ...c });

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
