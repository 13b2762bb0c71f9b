/**
 * Deliberately broken Raft variants, used only to prove that the simulator's
 * checkers are not vacuous: each must be caught within a bounded number of seeds.
 * They override the core's documented fault-injection hooks; production code
 * never does.
 */
import { RaftNode } from '../../../src/raft/index.js';
import type { NodeFactory } from './options.js';

/** Grants every RequestVote from a candidate with an up-to-date log: two votes in one term. */
export class DoubleVotingNode extends RaftNode {
  protected override voteAllowed(): boolean {
    return true;
  }
}

/**
 * Commits any entry replicated on a majority, whatever its term — the bug of the
 * Raft paper's Figure 8 (§5.4.2).
 */
export class Figure8Node extends RaftNode {
  protected override commitAllowedByCounting(): boolean {
    return true;
  }
}

export const doubleVotingFactory: NodeFactory = (config, initial) =>
  new DoubleVotingNode(config, initial);
export const figure8Factory: NodeFactory = (config, initial) => new Figure8Node(config, initial);
