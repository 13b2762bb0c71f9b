/**
 * A proposer is answered when the state machine has decided its entry's result
 * (StateMachine.apply's `decided`), not when the state is written out: a write's reply
 * does not wait on that disk write. Applies still run one at a time, in order, and a
 * write-out that fails still stops the node. One real runtime, a single voter,
 * in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import type { StateMachine } from '../../../src/raft/runtime/ports.js';
import { RaftRuntime, type ProposeOutcome } from '../../../src/raft/runtime/raft-runtime.js';
import { ManualClock } from '../../support/manual-clock.js';
import { track } from '../../support/promise-state.js';
import { MemoryLog } from '../../support/memory-raft-log.js';

const enc = new TextEncoder();
const TICK = 10;
const ELECTION_TICK = 10;

/** Decides each group at once (result: the index), then holds its write-out until let go. */
class HeldWriteOut implements StateMachine<number> {
  appliedIndex = 0;
  /** Applies called while another had not resolved: must stay 0. */
  overlapping = 0;
  private writeOuts: { finish: () => void; fail: (e: Error) => void }[] = [];
  private inProgress = false;

  apply(
    first: number,
    payloads: readonly Uint8Array[],
    decided?: (results: readonly number[]) => void,
  ): Promise<number[]> {
    if (this.inProgress) this.overlapping++;
    this.inProgress = true;
    const results = payloads.map((_, k) => first + k);
    this.appliedIndex = results.at(-1) ?? this.appliedIndex;
    decided?.(results);
    return new Promise<number[]>((resolve, reject) => {
      this.writeOuts.push({
        finish: () => {
          this.inProgress = false;
          resolve(results);
        },
        fail: (e) => {
          this.inProgress = false;
          reject(e);
        },
      });
    });
  }

  get held(): number {
    return this.writeOuts.length;
  }
  finishOne(): void {
    this.writeOuts.shift()!.finish();
  }
  failOne(error: Error): void {
    this.writeOuts.shift()!.fail(error);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function openSingleVoter() {
  const clock = new ManualClock();
  const stateMachine = new HeldWriteOut();
  const fatal: unknown[] = [];
  const raft = await RaftRuntime.open<number>(
    {
      id: 'a',
      peers: new Map([['a', 'a:1']]),
      timing: { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 },
      maxEntryBytes: 1024,
      onFatal: (error) => fatal.push(error),
    },
    {
      log: new MemoryLog(),
      stateMachine,
      transport: { send: () => {}, close: () => {} },
      clock,
      random: () => 0,
    },
  );
  clock.advance(ELECTION_TICK * TICK);
  // The leader's no-op is applied first: let its write-out go.
  for (let i = 0; i < 10 && stateMachine.held === 0; i++) await settle();
  stateMachine.finishOne();
  await settle();
  expect(raft.status().role).toBe('leader');
  return { raft, stateMachine, fatal };
}

describe('RaftRuntime: a proposer is answered once its result is decided', () => {
  it('before the write-out; the next entry is applied only after that write-out', async () => {
    const { raft, stateMachine } = await openSingleVoter();
    const first = track(raft.propose(enc.encode('w1'), 60_000));
    for (let i = 0; i < 10 && first.value === undefined; i++) await settle();
    // Answered while its write-out is still held.
    expect(first.value).toEqual<ProposeOutcome<number>>({ result: 2, logIndex: 2 });
    expect(stateMachine.held).toBe(1);

    // The next write commits but is not applied (nor answered) until then.
    const second = track(raft.propose(enc.encode('w2'), 60_000));
    for (let i = 0; i < 10; i++) await settle();
    expect(second.value).toBeUndefined();
    expect(stateMachine.appliedIndex).toBe(2);
    expect(raft.status().commitIndex).toBe(3);

    stateMachine.finishOne();
    for (let i = 0; i < 10 && second.value === undefined; i++) await settle();
    expect(second.value).toEqual<ProposeOutcome<number>>({ result: 3, logIndex: 3 });
    expect(stateMachine.overlapping).toBe(0);
    stateMachine.finishOne();
    await raft.close();
  });

  it('a write-out that fails after the answer still stops the node', async () => {
    const { raft, stateMachine, fatal } = await openSingleVoter();
    const write = track(raft.propose(enc.encode('w1'), 60_000));
    for (let i = 0; i < 10 && write.value === undefined; i++) await settle();
    expect(write.value?.logIndex).toBe(2);
    stateMachine.failOne(new Error('disk full'));
    for (let i = 0; i < 10 && fatal.length === 0; i++) await settle();
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0])).toMatch(/disk full/);
    await raft.close();
  });
});
