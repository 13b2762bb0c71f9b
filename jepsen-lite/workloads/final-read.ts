/** Final reads: after the heal the cluster must answer, within a bound. */
import type { CallName, CallRequest, CallResponse } from '../node-client.js';
import type { Worker } from '../worker.js';

/** How long the healed cluster has to answer a final read. */
export const FINAL_READ_TIMEOUT_MS = 60_000;

export class FinalReadError extends Error {
  constructor(what: string) {
    super(`the healed cluster did not answer ${what} within ${FINAL_READ_TIMEOUT_MS} ms`);
    this.name = 'FinalReadError';
  }
}

/** Reads until one attempt is ok (each attempt is an operation in the history). */
export async function readUntilOk<M extends CallName>(
  worker: Worker,
  what: { f: string; key?: string },
  method: M,
  message: CallRequest<M>,
  valueOf: (answer: CallResponse<M>) => string | null,
): Promise<CallResponse<M>> {
  const end = performance.now() + FINAL_READ_TIMEOUT_MS;
  while (performance.now() < end) {
    const invocation = worker.ctx.recorder.invoke(worker.process, what.f, {
      ...(what.key !== undefined && { key: what.key }),
    });
    const done = await worker.read(invocation, method, message, valueOf);
    if (done.type === 'ok') return done.value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FinalReadError(`${what.f}${what.key === undefined ? '' : ` of ${what.key}`}`);
}
