/**
 * Points from a JSONL file for `raftvec upsert`. One point per line:
 *
 *   {"id": "vec1", "values": [0.1, 0.2, 0.3], "metadata": {"source": "docA"}}
 *   {"id": "vec2", "vector": [0.4, 0.5, 0.6]}
 *
 * or the reference-scenario form, several points on a line:
 *
 *   {"command": "insert", "vectors": [{"id": "vec1", "values": [...], "metadata": {...}}]}
 *
 * Blank lines are skipped. Every point is checked with the server's own
 * validation (src/validation.ts) against the collection, so a bad line is
 * reported with its number before anything is sent.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Metadata, Metric, Point } from '../domain.js';
import { RaftvecError } from '../errors.js';
import { validateMetadata, validatePointId, validateVector } from '../validation.js';

export interface JsonlPoint {
  /** 1-based line number in the file. */
  line: number;
  point: Point;
}

export interface LineError {
  line: number;
  message: string;
}

export class JsonlError extends Error {
  constructor(
    readonly file: string,
    readonly errors: LineError[],
    readonly moreErrors: number,
  ) {
    const lines = errors.map((e) => `  ${file}:${e.line}: ${e.message}`);
    if (moreErrors > 0) lines.push(`  … and ${moreErrors} more bad line(s)`);
    super(
      `${file}: ${errors.length + moreErrors} bad line(s); nothing was sent:\n${lines.join('\n')}`,
    );
    this.name = 'JsonlError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function pointFromJson(raw: unknown, where: string, dimension: number, metric: Metric): Point {
  if (!isObject(raw))
    throw new RaftvecError(
      'INVALID_ARGUMENT',
      `${where}: expected a JSON object with "id" and "values"`,
    );
  const id = raw.id;
  if (typeof id === 'number' && Number.isSafeInteger(id))
    throw new RaftvecError(
      'INVALID_ARGUMENT',
      `${where}: "id" must be a string (write "${id}", not ${id})`,
    );
  validatePointId(id, where);
  const vec = raw.values ?? raw.vector;
  if (!Array.isArray(vec))
    throw new RaftvecError(
      'INVALID_ARGUMENT',
      `${where} (id ${JSON.stringify(id)}): "values" (or "vector") must be a list of numbers`,
    );
  const bad = vec.findIndex((x) => typeof x !== 'number');
  if (bad >= 0)
    throw new RaftvecError(
      'INVALID_ARGUMENT',
      `${where} (id ${JSON.stringify(id)}): values[${bad}] is ${JSON.stringify(vec[bad])}, not a number`,
    );
  for (let i = 0; i < vec.length; i++) {
    const x = vec[i] as number;
    if (Number.isFinite(x) && !Number.isFinite(Math.fround(x)))
      throw new RaftvecError(
        'INVALID_ARGUMENT',
        `${where} (id ${JSON.stringify(id)}): values[${i}] = ${x} is too large for a float32`,
      );
  }
  const vector = Float32Array.from(vec as number[]);
  validateVector(dimension, vector, `${where} (id ${JSON.stringify(id)})`, metric);
  const metadata = (raw.metadata ?? {}) as Metadata;
  validateMetadata(metadata, `${where} (id ${JSON.stringify(id)})`);
  return { id, vector, metadata };
}

/** The points on one line (usually one). Throws RaftvecError INVALID_ARGUMENT or SyntaxError. */
export function parseLine(text: string, line: number, dimension: number, metric: Metric): Point[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RaftvecError('INVALID_ARGUMENT', `not valid JSON (${(err as Error).message})`);
  }
  if (isObject(raw) && Array.isArray(raw.vectors) && raw.id === undefined) {
    if (raw.command !== undefined && raw.command !== 'insert' && raw.command !== 'upsert')
      throw new RaftvecError(
        'INVALID_ARGUMENT',
        `unknown command ${JSON.stringify(raw.command)}; expected "insert" or "upsert"`,
      );
    return raw.vectors.map((v, i) => pointFromJson(v, `vectors[${i}]`, dimension, metric));
  }
  return [pointFromJson(raw, 'point', dimension, metric)];
}

/** Reads the file line by line, yielding valid points and collecting bad lines. */
export async function* readJsonlPoints(
  file: string,
  dimension: number,
  metric: Metric,
  onError: (e: LineError) => void,
): AsyncGenerator<JsonlPoint> {
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      try {
        for (const point of parseLine(text, line, dimension, metric)) yield { line, point };
      } catch (err) {
        onError({ line, message: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    rl.close();
  }
}

/** First pass: checks every line; throws JsonlError listing bad lines. Returns the number of points. */
export async function checkJsonlFile(
  file: string,
  dimension: number,
  metric: Metric,
  maxReported = 20,
): Promise<number> {
  const errors: LineError[] = [];
  let more = 0;
  let points = 0;
  for await (const _ of readJsonlPoints(file, dimension, metric, (e) => {
    if (errors.length < maxReported) errors.push(e);
    else more++;
  }))
    points++;
  if (errors.length > 0) throw new JsonlError(file, errors, more);
  return points;
}

/**
 * Groups points into batches of at most `batchSize` points and about
 * `maxBatchBytes`; a point whose id is already in the current batch starts a
 * new one (the server rejects duplicate ids within one upsert; later lines win).
 */
export async function* batches(
  points: AsyncIterable<JsonlPoint>,
  batchSize: number,
  maxBatchBytes = 16 * 1024 * 1024,
): AsyncGenerator<JsonlPoint[]> {
  let batch: JsonlPoint[] = [];
  let ids = new Set<string>();
  let bytes = 0;
  for await (const p of points) {
    const size =
      p.point.id.length + p.point.vector.length * 5 + JSON.stringify(p.point.metadata).length + 16;
    if (
      batch.length > 0 &&
      (batch.length >= batchSize || ids.has(p.point.id) || bytes + size > maxBatchBytes)
    ) {
      yield batch;
      batch = [];
      ids = new Set();
      bytes = 0;
    }
    batch.push(p);
    ids.add(p.point.id);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
