/**
 * The set workload: clients insert points with unique ids and distinctive vectors.
 * After the heal, every attempted id is looked up four ways (Get, Count, Scroll,
 * an exact-vector Search); every acknowledged insert must be there exactly once,
 * nothing never attempted may be, and no failed insert may be.
 *
 * The search workload is the same inserts, each followed by a search for the
 * vector just inserted, on any node: once an insert is acknowledged, a
 * (linearizable) search that starts later must find it.
 */
import { createHash } from 'node:crypto';
import { vectorToF32Bytes } from '../../src/api/conversions.js';
import type { ScrollResponse__Output } from '../../src/generated/raftvec/v1/ScrollResponse.js';
import { checkSet, insertAttempts, pairOperations, type Operation } from '../checker/index.js';
import type { HistoryEvent } from '../checker/history.js';
import type { Rng } from '../random.js';
import type { Anomaly } from '../results.js';
import { Worker } from '../worker.js';
import { createCollection } from './collection.js';
import { readUntilOk } from './final-read.js';
import type { CheckReport, Workload, WorkloadEnv } from './workload.js';

const DIMENSION = 8;
const GET_CHUNK = 500;
const SEARCH_CHUNK = 100;
const SCROLL_PAGE = 1_000;
/** Acknowledged inserts other clients may search for. */
const RECENT = 64;

/**
 * A vector only this id has: 8 components from the id's SHA-256, so two ids share a
 * vector with odds of about 2^-128, and a search for it finds it first, at distance 0.
 * (A 32-bit seed would collide about once per 100k ids: a false "lost".)
 */
export function vectorOf(id: string): Float32Array {
  const digest = createHash('sha256').update(id).digest();
  return Float32Array.from(
    { length: DIMENSION },
    (_, i) => digest.readUInt32BE(i * 4) / 2 ** 31 - 1,
  );
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );

export function setWorkload(options: { searchAfterInsert: boolean }): Workload {
  const collection = options.searchAfterInsert ? 'jepsen-search' : 'jepsen-set';
  /** Final reads by phase and method: the ids each saw. */
  const finals = new Map<string, Record<string, string[]>>();
  /** The last acknowledged inserts (a ring), for searches by other clients. */
  const recent: string[] = [];
  let recentNext = 0;
  /** Count's answer by phase: a number, not ids, so it is compared with what Scroll listed. */
  const counted = new Map<string, number>();
  const attempted: string[] = [];

  return {
    name: options.searchAfterInsert ? 'search' : 'set',
    async setup(env: WorkloadEnv) {
      await createCollection(env, collection, DIMENSION);
    },

    async runClient(worker: Worker, random: Rng, stopped: () => boolean) {
      const { recorder } = worker.ctx;
      const search = async (id: string, node: string | undefined): Promise<void> => {
        const invocation = recorder.invoke(worker.process, 'search', { key: id });
        await worker.read(
          invocation,
          'Search',
          { collection, queries: [{ values: [...vectorOf(id)] }], k: 1 },
          (answer) => answer.results[0]?.hits[0]?.id ?? null,
          node,
        );
      };
      while (!stopped()) {
        // Drawn every time, whatever happens next, so one client's draws do not depend on outcomes.
        const node = random.chance(0.5) ? random.pick(worker.ctx.nodes) : undefined;
        const other = random.next();
        const id = `p${worker.nextValue()}`;
        attempted.push(id);
        const invocation = recorder.invoke(worker.process, 'insert', { value: id });
        const done = await worker.write(invocation, 'Upsert', (options) => ({
          collection,
          points: [{ id, vectorF32: vectorToF32Bytes(vectorOf(id)), metadata: { fields: {} } }],
          options,
        }));
        if (!options.searchAfterInsert || stopped()) continue;
        if (done.type === 'ok') {
          await search(id, node);
          recent[recentNext++ % RECENT] = id;
        }
        // And someone else's insert, acknowledged a moment ago.
        const theirs = recent[Math.floor(other * Math.min(recentNext, RECENT))];
        if (theirs !== undefined && !stopped()) await search(theirs, node);
      }
    },

    async finalReads(env: WorkloadEnv, phase: string) {
      const worker = new Worker(env.workerContext, env.random.fork(phase), false, phase);
      const seen: Record<string, string[]> = { get: [], scroll: [], search: [] };
      for (const ids of chunks(attempted, GET_CHUNK)) {
        const answer = await readUntilOk(
          worker,
          { f: 'final-get' },
          'Get',
          { collection, ids, withVector: false, withMetadata: false },
          (a) => String(a.points.length),
        );
        seen['get']!.push(...answer.points.map((p) => p.id));
      }
      let after = '';
      for (;;) {
        const page: ScrollResponse__Output = await readUntilOk(
          worker,
          { f: 'final-scroll' },
          'Scroll',
          {
            collection,
            afterId: after,
            limit: SCROLL_PAGE,
            withVector: false,
            withMetadata: false,
          },
          (a) => String(a.points.length),
        );
        seen['scroll']!.push(...page.points.map((p) => p.id));
        if (page.nextAfterId === '') break;
        after = page.nextAfterId;
      }
      for (const ids of chunks(attempted, SEARCH_CHUNK)) {
        const answer = await readUntilOk(
          worker,
          { f: 'final-search' },
          'Search',
          {
            collection,
            queries: ids.map((id) => ({ values: [...vectorOf(id)] })),
            k: 1,
          },
          (a) => String(a.results.length),
        );
        answer.results.forEach((result, q) => {
          const hit = result.hits[0];
          // Batched queries go through BLAS, whose distances are off by rounding: ~1e-7, not 0.
          if (hit !== undefined && hit.id === ids[q] && Math.abs(hit.score) < 1e-3)
            seen['search']!.push(hit.id);
        });
      }
      const count = await readUntilOk(worker, { f: 'final-count' }, 'Count', { collection }, (a) =>
        String(a.count),
      );
      finals.set(phase, seen);
      counted.set(phase, Number(count.count));
    },

    check(events: readonly HistoryEvent[]): CheckReport {
      const operations = pairOperations(events);
      const attempts = insertAttempts(operations);
      const checks: CheckReport['checks'] = {};
      const anomalies: Anomaly[] = [];
      const insertEvents = new Map<string, number[]>();
      for (const op of operations)
        if (op.f === 'insert' && typeof op.value === 'string')
          insertEvents.set(op.value, [
            op.invokeIndex,
            ...(op.completeIndex === undefined ? [] : [op.completeIndex]),
          ]);
      for (const [phase, reads] of finals) {
        const result = checkSet(attempts, reads);
        const counts = result.reads.map(
          (r) =>
            `${r.name}: ${r.counts.present} present, ${r.counts.lost} lost, ${r.counts.unexpected} unexpected, ${r.counts.duplicated} duplicated, ${r.counts.failedButPresent} failed-but-present, ${r.counts.recovered} indeterminate-and-present`,
        );
        checks[`set (${phase})`] = { valid: result.valid, summary: counts.join('; ') };
        const count = counted.get(phase);
        const listed = reads['scroll']?.length ?? 0;
        if (count !== listed)
          anomalies.push({
            kind: 'count-disagrees',
            phase,
            message: `Count answered ${count} while Scroll listed ${listed} points`,
            events: [],
          });
        for (const read of result.reads) {
          const report = (kind: string, ids: readonly string[]): void => {
            if (ids.length === 0) return;
            anomalies.push({
              kind,
              phase,
              message: `${read.name}: ${ids.length} ids ${kind}: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`,
              events: ids.slice(0, 50).flatMap((id) => insertEvents.get(id) ?? []),
            });
          };
          report('lost', read.lost);
          report('unexpected', read.unexpected);
          report('duplicated', read.duplicated);
          report('failed-but-present', read.failedButPresent);
        }
        for (const d of result.disagreements)
          anomalies.push({
            kind: 'reads-disagree',
            phase,
            message: `${d.other} differs from ${d.reference}: ${d.missing.length} missing, ${d.extra.length} extra`,
            events: [...d.missing, ...d.extra]
              .slice(0, 50)
              .flatMap((id) => insertEvents.get(id) ?? []),
          });
      }
      if (options.searchAfterInsert) {
        const missed = searchesThatMissed(operations);
        checks['search finds acknowledged inserts'] = {
          valid: missed.length === 0,
          summary: `${operations.filter((op) => op.f === 'search' && op.outcome === 'ok').length} searches, ${missed.length} missed an acknowledged insert`,
        };
        for (const { search, insert } of missed)
          anomalies.push({
            kind: 'search-missed',
            phase: 'history',
            key: search.key ?? '',
            message: `a search started ${(search.invokeTime - insert.completeTime).toFixed(1)} ms after the insert of ${search.key} was acknowledged returned ${search.value ?? 'nothing'}`,
            events: [
              insert.invokeIndex,
              insert.completeIndex ?? insert.invokeIndex,
              search.invokeIndex,
              search.completeIndex ?? search.invokeIndex,
            ],
          });
      }
      return { checks, anomalies };
    },
  };
}

/** Searches (ok) for a point whose insert was acknowledged before the search started, that did not return it. */
function searchesThatMissed(
  operations: readonly Operation[],
): { search: Operation; insert: Operation }[] {
  const acknowledged = new Map<string, Operation>();
  for (const op of operations)
    if (op.f === 'insert' && op.outcome === 'ok' && typeof op.value === 'string')
      acknowledged.set(op.value, op);
  const missed: { search: Operation; insert: Operation }[] = [];
  for (const op of operations) {
    if (op.f !== 'search' || op.outcome !== 'ok' || op.key === undefined) continue;
    const insert = acknowledged.get(op.key);
    if (insert !== undefined && insert.completeTime < op.invokeTime && op.value !== op.key)
      missed.push({ search: op, insert });
  }
  return missed;
}
