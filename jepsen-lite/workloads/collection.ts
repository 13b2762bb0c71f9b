/** Creates a workload's collection on whichever node leads, before any fault. */
import * as grpc from '@grpc/grpc-js';
import { FinalReadError, FINAL_READ_TIMEOUT_MS } from './final-read.js';
import type { WorkloadEnv } from './workload.js';

export async function createCollection(
  env: WorkloadEnv,
  name: string,
  dimension: number,
): Promise<void> {
  const end = performance.now() + FINAL_READ_TIMEOUT_MS;
  let node = 0;
  while (performance.now() < end) {
    const at = env.nodes[node++ % env.nodes.length]!;
    const outcome = await env.clients.call(
      at,
      'CreateCollection',
      { name, dimension, indexSpec: 'Flat' },
      2_000,
    );
    if (outcome.type === 'ok') return;
    if (outcome.error.startsWith(`${grpc.status[grpc.status.ALREADY_EXISTS]}:`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FinalReadError(`the creation of collection ${name}`);
}
