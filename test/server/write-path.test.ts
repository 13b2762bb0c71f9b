/**
 * LocalWritePath: serialization, log indices, the queue bound and deadlines.
 * The applier here is a stand-in whose applies the test releases one by one,
 * so queue states are exact rather than timing-dependent.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyResult, Command } from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import { LocalWritePath, type CommandApplier } from '../../src/server/write-path.js';

class GatedApplier implements CommandApplier {
  appliedIndex = 0;
  readonly applied: Array<{ index: number; command: Command }> = [];
  readonly #gates: Array<() => void> = [];
  running = 0;
  maxRunning = 0;

  async apply(index: number, command: Command): Promise<ApplyResult> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise<void>((release) => this.#gates.push(release));
    this.running--;
    if (index !== this.appliedIndex + 1) throw new Error(`out of order: ${index}`);
    this.appliedIndex = index;
    this.applied.push({ index, command });
    return { ok: true };
  }

  /** Releases the apply that is waiting (there is at most one). */
  async releaseOne(): Promise<void> {
    for (let i = 0; i < 100 && this.#gates.length === 0; i++)
      await new Promise((r) => setImmediate(r));
    const g = this.#gates.shift();
    if (!g) throw new Error('no apply is waiting');
    g();
  }
}

const noop: Command = { kind: 'noop' };
const far = (): Date => new Date(Date.now() + 60_000);

describe('LocalWritePath', () => {
  it('applies one write at a time, in order, at appliedIndex + 1', async () => {
    const sm = new GatedApplier();
    const wp = new LocalWritePath(sm);
    const ps = [1, 2, 3].map((n) =>
      wp.propose(
        { kind: 'dropCollection', name: `c${n}` },
        { writeConcern: 'majority', deadline: far() },
      ),
    );
    for (let i = 0; i < 3; i++) await sm.releaseOne();
    const outcomes = await Promise.all(ps);
    expect(outcomes.map((o) => o.logIndex)).toEqual([1, 2, 3]);
    expect(sm.applied.map((a) => (a.command as { name: string }).name)).toEqual(['c1', 'c2', 'c3']);
    expect(sm.maxRunning).toBe(1);
  });

  it('rejects with RESOURCE_EXHAUSTED when the queue is full, and accepts again once it drains', async () => {
    const sm = new GatedApplier();
    const wp = new LocalWritePath(sm, { maxQueuedWrites: 2 });
    const a = wp.propose(noop, { writeConcern: 'majority', deadline: far() });
    const b = wp.propose(noop, { writeConcern: 'all', deadline: far() });
    const c = wp.propose(noop, { writeConcern: 'majority', deadline: far() });
    await expect(c).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/queue is full/),
    });
    expect(wp.queued).toBe(2);
    await sm.releaseOne();
    await a;
    const d = wp.propose(noop, { writeConcern: 'majority', deadline: far() });
    await sm.releaseOne();
    await sm.releaseOne();
    expect((await b).logIndex).toBe(2);
    expect((await d).logIndex).toBe(3);
    expect(wp.queued).toBe(0);
  });

  it('a write whose deadline passes while queued is not applied (DEADLINE_EXCEEDED)', async () => {
    const sm = new GatedApplier();
    const wp = new LocalWritePath(sm);
    const first = wp.propose(noop, { writeConcern: 'majority', deadline: far() });
    const late = wp.propose(noop, {
      writeConcern: 'majority',
      deadline: new Date(Date.now() + 20),
    });
    await new Promise((r) => setTimeout(r, 40));
    await sm.releaseOne();
    await first;
    await expect(late).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringMatching(/not applied/),
    });
    expect(sm.applied).toHaveLength(1);
  });

  it('a failing apply rejects only that write', async () => {
    let calls = 0;
    const sm: CommandApplier = {
      appliedIndex: 0,
      async apply(index) {
        calls++;
        if (calls === 1) throw new RaftvecError('INTERNAL', 'disk on fire');
        (this as { appliedIndex: number }).appliedIndex = index;
        return { ok: true };
      },
    };
    const wp = new LocalWritePath(sm);
    await expect(wp.propose(noop, { writeConcern: 'majority', deadline: far() })).rejects.toThrow(
      /disk on fire/,
    );
    expect((await wp.propose(noop, { writeConcern: 'majority', deadline: far() })).logIndex).toBe(
      1,
    );
  });

  it('close() waits for accepted writes and refuses new ones with UNAVAILABLE', async () => {
    const sm = new GatedApplier();
    const wp = new LocalWritePath(sm);
    const a = wp.propose(noop, { writeConcern: 'majority', deadline: far() });
    let closed = false;
    const closing = wp.close().then(() => (closed = true));
    await expect(
      wp.propose(noop, { writeConcern: 'majority', deadline: far() }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect(closed).toBe(false);
    await sm.releaseOne();
    await a;
    await closing;
    expect(closed).toBe(true);
  });
});
