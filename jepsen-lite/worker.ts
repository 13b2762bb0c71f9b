/**
 * One simulated client: it sends one operation at a time, follows the leader the
 * nodes name, and records each operation in the history.
 *
 * A write whose first attempt was refused (fail: provably not applied) is sent
 * again, to the leader named: still one operation. After an indeterminate attempt
 * only a session client may send it again, with the same (client id, sequence), so
 * the server applies it once (exactly-once is what the register check then tests);
 * any other client records it as info. After an info the client's process id is
 * retired and it carries on under a fresh one, as Jepsen does: an operation left
 * open forever must not overlap the next one of the same process.
 */
import { randomUUID } from 'node:crypto';
import type { WriteOptions } from '../src/generated/raftvec/v1/WriteOptions.js';
import type { CallName, CallRequest, CallResponse, NodeClients, Outcome } from './node-client.js';
import type { HistoryRecorder, Invocation } from './recorder.js';
import type { Rng } from './random.js';

/** Attempts per operation, the first included. */
const MAX_ATTEMPTS = 4;
/**
 * Attempts of a session client's write: more, since each retry is safe and turns an
 * indeterminate write into a known one (fewer open writes also keep the check fast).
 */
const MAX_SESSION_ATTEMPTS = 10;
/** Pause between two attempts of one operation, so an election can finish. */
const RETRY_PAUSE_MS = 40;

export interface WorkerContext {
  clients: NodeClients;
  recorder: HistoryRecorder;
  nodes: readonly string[];
  /** Deadline of one attempt (of a write's first attempt; retries wait longer). */
  deadlineMs: number;
  /** Hands out process ids no one used before. */
  nextProcess: () => number;
  /**
   * Called when a session retry is refused as a stale sequence: the client never sent
   * a later one, so the server lost the session's record, and exactly-once with it.
   */
  onSessionLost: (event: number, error: string) => void;
}

export type Completion<T> = { type: 'ok'; value: T; node: string } | { type: 'fail' | 'info' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Worker {
  process: number;
  /** The node this client believes leads. */
  leader: string;
  readonly clientId: string | undefined;
  #sequence = 0;
  #values = 0;

  /** `name` is stable across runs with the same seed (unlike process ids, which move with every info). */
  constructor(
    readonly ctx: WorkerContext,
    readonly random: Rng,
    usesSession: boolean,
    readonly name: string,
  ) {
    this.process = ctx.nextProcess();
    this.leader = random.pick(ctx.nodes);
    this.clientId = usesSession ? `jepsen-${randomUUID()}` : undefined;
  }

  get usesSession(): boolean {
    return this.clientId !== undefined;
  }

  /** A value (or id) no other write of the run uses. */
  nextValue(): string {
    return `${this.name}.${++this.#values}`;
  }

  /** Runs a write; `request` is built once per operation, with its session fields. */
  async write<M extends 'Upsert' | 'Delete'>(
    invocation: Invocation,
    method: M,
    request: (options: WriteOptions) => CallRequest<M>,
  ): Promise<Completion<CallResponse<M>>> {
    const options: WriteOptions =
      this.clientId === undefined ? {} : { clientId: this.clientId, sequence: ++this.#sequence };
    const message = request(options);
    let uncertain = false;
    let lastError = '';
    let lastNode = this.leader;
    let hinted = false;
    const attempts = this.usesSession ? MAX_SESSION_ATTEMPTS : MAX_ATTEMPTS;
    for (let attempt = 0; attempt < attempts; attempt++) {
      // A node that named the leader is believed at once; otherwise an election may be on.
      if (attempt > 0 && !hinted) await sleep(RETRY_PAUSE_MS);
      const node = this.leader;
      lastNode = node;
      // Each retry waits longer (up to 8×): a write slower than the deadline still gets
      // its answer, instead of timing out again and again.
      const deadlineMs = this.ctx.deadlineMs * 2 ** Math.min(attempt, 3);
      const outcome = await this.ctx.clients.call(node, method, message, deadlineMs);
      if (outcome.type === 'ok') {
        this.ctx.recorder.complete(invocation, 'ok', { node });
        return { type: 'ok', value: outcome.value, node };
      }
      hinted = this.#follow(node, outcome);
      lastError = `${node}: ${outcome.error}`;
      if (outcome.staleSequence === true && this.usesSession && attempt > 0)
        this.ctx.onSessionLost(this.ctx.recorder.events.length, lastError);
      if (outcome.type === 'info') {
        uncertain = true;
        if (!this.usesSession) break;
      }
    }
    return this.#notOk(invocation, uncertain ? 'info' : 'fail', lastError, lastNode);
  }

  /**
   * Runs a read on `firstNode` (default: the believed leader), then where the nodes
   * point; `valueOf` turns the answer into the recorded value.
   */
  async read<M extends CallName>(
    invocation: Invocation,
    method: M,
    message: CallRequest<M>,
    valueOf: (answer: CallResponse<M>) => string | null,
    firstNode?: string,
  ): Promise<Completion<CallResponse<M>>> {
    let node = firstNode ?? this.leader;
    let lastError = '';
    let hinted = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        if (!hinted) await sleep(RETRY_PAUSE_MS);
        node = this.leader;
      }
      const outcome = await this.ctx.clients.call(node, method, message, this.ctx.deadlineMs);
      if (outcome.type === 'ok') {
        let value: string | null;
        try {
          value = valueOf(outcome.value);
        } catch (error) {
          // An answer the workload cannot read is the server's fault, and must show.
          return this.#notOk(
            invocation,
            'info',
            `${node}: unreadable answer: ${String(error)}`,
            node,
          );
        }
        this.ctx.recorder.complete(invocation, 'ok', { value, node });
        return { type: 'ok', value: outcome.value, node };
      }
      hinted = this.#follow(node, outcome);
      lastError = `${node}: ${outcome.error}`;
      // A read has no effect: an indeterminate one is as good as failed, but the
      // history format still retires its process.
      if (outcome.type === 'info') return this.#notOk(invocation, 'info', lastError, node);
    }
    return this.#notOk(invocation, 'fail', lastError, node);
  }

  /** Moves to the leader `node` named, or else to the next node; says whether one was named. */
  #follow(node: string, outcome: Exclude<Outcome<unknown>, { type: 'ok' }>): boolean {
    if (
      outcome.leaderHint !== undefined &&
      outcome.leaderHint !== node &&
      this.ctx.nodes.includes(outcome.leaderHint)
    ) {
      this.leader = outcome.leaderHint;
      return true;
    }
    const at = this.ctx.nodes.indexOf(node);
    this.leader = this.ctx.nodes[(at + 1) % this.ctx.nodes.length]!;
    return false;
  }

  /** Records a fail or info, naming the node of the last attempt. */
  #notOk(
    invocation: Invocation,
    type: 'fail' | 'info',
    error: string,
    node: string,
  ): Completion<never> {
    this.ctx.recorder.complete(invocation, type, { error, node });
    if (type === 'info') this.process = this.ctx.nextProcess();
    return { type };
  }
}
