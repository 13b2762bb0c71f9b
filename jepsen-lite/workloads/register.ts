/**
 * The register workload: a few keys, each a point whose metadata carries a value
 * unique to the write that set it. Clients upsert, delete and read the keys; the
 * history is checked per key for linearizability (a read returns the value of the
 * last write linearized before it, or nothing after a delete).
 */
import { metadataToStruct, structToMetadata, vectorToF32Bytes } from '../../src/api/conversions.js';
import type { GetResponse__Output } from '../../src/generated/raftvec/v1/GetResponse.js';
import type { UpsertRequest } from '../../src/generated/raftvec/v1/UpsertRequest.js';
import type { WriteOptions } from '../../src/generated/raftvec/v1/WriteOptions.js';
import { checkLinearizable, pairOperations, registerModel } from '../checker/index.js';
import type { HistoryEvent } from '../checker/history.js';
import type { Rng } from '../random.js';
import type { Anomaly } from '../results.js';
import { Worker } from '../worker.js';
import { createCollection } from './collection.js';
import { readUntilOk } from './final-read.js';
import type { CheckReport, Workload, WorkloadEnv } from './workload.js';

const COLLECTION = 'jepsen-register';
const DIMENSION = 4;
/** Few keys by default, so that writes and reads of one key overlap often. */
export const DEFAULT_KEYS = 6;
/** States searched per key before the checker answers "unknown". */
const CHECK_BUDGET = { maxSteps: 20_000_000, maxMillis: 30_000 };

const keyName = (k: number): string => `k${k}`;
/** The upsert that sets `key` to `value` (the vector does not matter to the register). */
const upsertOf =
  (key: string, value: string, random: Rng) =>
  (options: WriteOptions): UpsertRequest => ({
    collection: COLLECTION,
    points: [
      {
        id: key,
        vectorF32: vectorToF32Bytes(Float32Array.from({ length: DIMENSION }, () => random.next())),
        metadata: metadataToStruct({ v: value }),
      },
    ],
    options,
  });

function valueOfGet(answer: GetResponse__Output): string | null {
  const point = answer.points[0];
  if (point === undefined) return null;
  const value = structToMetadata(point.metadata, `metadata of ${point.id}`)['v'];
  if (typeof value !== 'string') throw new Error(`point ${point.id} has no string value`);
  return value;
}

/** Share of a session client's operations that are an exactly-once probe (see below). */
const PROBE_SHARE = 0.25;

/**
 * An exactly-once probe: a session client writes a key only it uses, then deletes
 * it. The delete's answer must count one point deleted: if a retry of the delete
 * were applied a second time, the client would get the second application's
 * answer, zero.
 */
interface Probe {
  key: string;
  /** History index of the delete's invoke event. */
  event: number;
  deleted: number;
}

export function registerWorkload(keys = DEFAULT_KEYS): Workload {
  const probeDeletes: Probe[] = [];

  async function probe(worker: Worker, random: Rng): Promise<void> {
    const { recorder } = worker.ctx;
    const value = worker.nextValue();
    const key = `own-${value}`;
    const write = recorder.invoke(worker.process, 'write', { key, value });
    const written = await worker.write(write, 'Upsert', upsertOf(key, value, random));
    if (written.type !== 'ok') return;
    const event = recorder.events.length;
    const del = recorder.invoke(worker.process, 'delete', { key });
    const deleted = await worker.write(del, 'Delete', (options) => ({
      collection: COLLECTION,
      ids: [key],
      options,
    }));
    if (deleted.type === 'ok') probeDeletes.push({ key, event, deleted: deleted.value.deleted });
  }

  return {
    name: 'register',
    async setup(e: WorkloadEnv) {
      await createCollection(e, COLLECTION, DIMENSION);
    },

    async runClient(worker: Worker, random: Rng, stopped: () => boolean) {
      const { recorder } = worker.ctx;
      while (!stopped()) {
        if (worker.usesSession && random.chance(PROBE_SHARE)) {
          await probe(worker, random);
          continue;
        }
        const key = keyName(random.int(0, keys - 1));
        const roll = random.next();
        if (roll < 0.5) {
          // Half the reads go to any node: a node that serves stale data must be asked.
          const node = random.chance(0.5) ? random.pick(worker.ctx.nodes) : undefined;
          const invocation = recorder.invoke(worker.process, 'read', { key });
          await worker.read(
            invocation,
            'Get',
            { collection: COLLECTION, ids: [key], withMetadata: true, withVector: false },
            valueOfGet,
            node,
          );
        } else if (roll < 0.85) {
          const value = worker.nextValue();
          const invocation = recorder.invoke(worker.process, 'write', { key, value });
          await worker.write(invocation, 'Upsert', upsertOf(key, value, random));
        } else {
          const invocation = recorder.invoke(worker.process, 'delete', { key });
          await worker.write(invocation, 'Delete', (options) => ({
            collection: COLLECTION,
            ids: [key],
            options,
          }));
        }
      }
    },

    async finalReads(e, phase) {
      const worker = new Worker(e.workerContext, e.random.fork(phase), false, phase);
      for (let k = 0; k < keys; k++) {
        await readUntilOk(
          worker,
          { f: 'read', key: keyName(k) },
          'Get',
          { collection: COLLECTION, ids: [keyName(k)], withMetadata: true, withVector: false },
          valueOfGet,
        );
      }
    },

    check(events: readonly HistoryEvent[]): CheckReport {
      const operations = pairOperations(events);
      const result = checkLinearizable(operations, registerModel, CHECK_BUDGET);
      const anomalies: Anomaly[] = result.anomalies.map((a) => ({
        kind: 'non-linearizable',
        phase: 'history',
        key: a.key,
        message: `${a.message}; state after the longest linearizable prefix (${a.prefix.length} operations): ${a.stateAfterPrefix}`,
        events: [...a.eventIndexes],
      }));
      const keys = [...result.perKey.values()];
      const unknown = keys.filter((k) => k.valid === 'unknown').map((k) => k.key);
      const summary =
        `${keys.length} keys, ${keys.reduce((n, k) => n + k.ops, 0)} operations searched ` +
        `(${keys.reduce((n, k) => n + k.infoOps, 0)} indeterminate), ${anomalies.length} not linearizable` +
        (unknown.length > 0 ? `, out of budget on ${unknown.join(', ')}` : '');
      const twice = probeDeletes.filter((p) => p.deleted !== 1);
      for (const p of twice)
        anomalies.push({
          kind: 'applied-twice',
          phase: 'history',
          key: p.key,
          message: `the delete of ${p.key}, which only its session client wrote and deleted, answered ${p.deleted} points deleted, not 1: a retry was applied again`,
          events: [p.event],
        });
      return {
        checks: {
          linearizable: { valid: result.valid, summary },
          'exactly-once': {
            valid: twice.length === 0,
            summary: `${probeDeletes.length} write-then-delete probes by session clients, ${twice.length} answered as applied twice`,
          },
        },
        anomalies,
      };
    },
  };
}
