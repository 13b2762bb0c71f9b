/**
 * Which configuration is in force at each point of a node's log: the one at the
 * snapshot point (the base) and every `config` entry after it. The newest one is in
 * force (thesis §4.1: a server uses the latest configuration in its log, committed or
 * not); when entries are truncated, the configurations they held go with them.
 */
import { invariant } from './errors.js';
import type { Membership } from './membership.js';

interface ConfigRecord {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

export class MembershipLog {
  /**
   * The configuration at the log start, known to be the one in force from `knownFrom`
   * on (the log start itself, except on a node that joined a running cluster: it learned
   * the configuration at the leader's log start, and what came before is unknown to it).
   */
  private base: { index: number; membership: Membership; knownFrom: number };
  /** Config entries after the base, in index order. */
  private records: ConfigRecord[] = [];

  constructor(baseIndex: number, membership: Membership, knownFrom = baseIndex) {
    this.base = { index: baseIndex, membership, knownFrom: Math.max(baseIndex, knownFrom) };
  }

  /** The configuration in force: the newest in the log. */
  latest(): Membership {
    return this.records.at(-1)?.membership ?? this.base.membership;
  }

  /** Index of the entry that set the configuration in force (the base's index for the base). */
  latestIndex(): number {
    return this.records.at(-1)?.index ?? this.base.index;
  }

  /**
   * The configuration in force right after entry `index` (at or after the base);
   * undefined when this node cannot know it (before what a joining node learned, and
   * before any config entry it holds).
   */
  at(index: number): Membership | undefined {
    invariant(
      index >= this.base.index,
      () => `no configuration known at ${index}, before the base ${this.base.index}`,
    );
    for (let k = this.records.length - 1; k >= 0; k--) {
      if (this.records[k]!.index <= index) return this.records[k]!.membership;
    }
    return index >= this.base.knownFrom ? this.base.membership : undefined;
  }

  /** A config entry (index, term) was appended to the log. */
  appended(index: number, term: number, membership: Membership): void {
    invariant(
      index > this.latestIndex(),
      () => `config entry ${index} appended at or before ${this.latestIndex()}`,
    );
    this.records.push({ index, term, membership });
  }

  /**
   * Drops the records the log no longer holds: those at or after `from` whose term
   * differs from the log's (`termAt`) after a truncation.
   */
  truncated(from: number, termAt: (index: number) => number | undefined): void {
    while (this.records.length > 0) {
      const last = this.records.at(-1)!;
      if (last.index < from || termAt(last.index) === last.term) break;
      this.records.pop();
    }
  }

  /** The log now starts after `index` (compaction): the configuration there becomes the base. */
  compacted(index: number): void {
    const known = this.at(index);
    this.base =
      known === undefined
        ? { ...this.base, index, knownFrom: Math.max(index, this.base.knownFrom) }
        : { index, membership: known, knownFrom: index };
    this.records = this.records.filter((r) => r.index > index);
  }

  /**
   * The log was reset to a snapshot ending at `index` whose configuration is
   * `membership`; with `retained`, the entries after it stay, and so do their configs.
   */
  restored(index: number, membership: Membership, retained: boolean): void {
    this.base = { index, membership, knownFrom: index };
    this.records = retained ? this.records.filter((r) => r.index > index) : [];
  }
}
