/**
 * The checkers are not vacuous: deliberately broken variants must be caught.
 *
 * Each case runs the broken variant over a seed range until the checker reports
 * the expected property, and then runs the correct core over the same seeds and
 * profile — which must pass — so the violation is shown to come from the
 * breakage, not from the schedule.
 */
import { describe, expect, it } from 'vitest';
import type { Property } from './sim/checker.js';
import {
  doubleVotingFactory,
  figure8Factory,
  twoChangesFactory,
  twoVotersFactory,
} from './sim/broken.js';
import type { SimOptions, SimProfile } from './sim/options.js';
import { describeFailure, firstViolation, runSeeds } from './sim/seeds.js';
import { runSimulation, type SimResult, type SimStats } from './sim/simulator.js';

const SAFETY: Property[] = [
  'Leadership Transfer',
  'Election Safety',
  'Log Matching',
  'Leader Completeness',
  'State Machine Safety',
  'Committed Entries Durable on a Majority',
  'Client Oracle',
  'Linearizable Read',
  'Core Invariant',
  'Message Rejected',
  'Quorum',
  'Single-Server Change',
  'Configuration in Force',
  'Committed Configuration Kept',
];

async function expectCaught(
  broken: Omit<SimOptions, 'seed'>,
  maxSeeds: number,
  properties: Property[],
): Promise<SimResult> {
  const found = await firstViolation(1, maxSeeds, broken);
  expect(found, `no violation in seeds 1..${maxSeeds}`).toBeDefined();
  expect(properties, describeFailure(found!, broken.nodes)).toContain(found!.violation!.property);
  // Control: the correct core, same seeds and profile, passes.
  const control: Omit<SimOptions, 'seed'> = {
    nodes: broken.nodes,
    steps: broken.steps,
    ...(broken.profile ? { profile: broken.profile } : {}),
  };
  expect(await runSeeds(1, found!.seed, control)).toEqual([]);
  return found!;
}

/** Elections collide often, messages are reordered a lot, and nodes crash right after writing. */
const electionChaos: Partial<SimProfile> = {
  preVote: false,
  checkQuorum: false,
  crashAfterPersistRate: 0.2,
  crashRate: 0,
  restartMin: 1,
  restartMax: 5,
  electionTick: 4,
  heartbeatTick: 1,
  maxDelay: 5,
  reorderRate: 0.8,
  longDelay: 40,
  lossRate: 0.3,
  partitionRate: 0,
  diskLatencyMax: 1,
};

/** Leaders come and go before replicating their entries; one entry per message. */
const leaderChurn: Partial<SimProfile> = {
  preVote: false,
  checkQuorum: false,
  crashRate: 0.02,
  restartMin: 1,
  restartMax: 100,
  electionTick: 5,
  maxDelay: 25,
  lossRate: 0.1,
  partitionRate: 0.05,
  partitionMin: 20,
  partitionMax: 200,
  maxEntriesPerMessage: 1,
  maxInflightMessages: 1,
  proposalInterval: 3,
};

describe('the simulator catches deliberately broken Raft', () => {
  it('a disk that forgets the vote on crash → Election Safety', async () => {
    await expectCaught(
      // The direct "vote changed within a term" check is switched off to show that
      // the consequence, two leaders in one term, is caught by Election Safety.
      {
        nodes: 3,
        steps: 10_000,
        profile: electionChaos,
        faults: { forgetVoteOnCrash: true },
        checkVoteDurability: false,
      },
      300,
      ['Election Safety'],
    );
  }, 120_000);

  it('a disk that forgets the vote on crash → Vote Durability (the direct check)', async () => {
    await expectCaught(
      { nodes: 3, steps: 10_000, profile: electionChaos, faults: { forgetVoteOnCrash: true } },
      300,
      ['Vote Durability', 'Election Safety'],
    );
  }, 120_000);

  it('a node that grants two votes in one term → Election Safety', async () => {
    await expectCaught(
      {
        nodes: 3,
        steps: 10_000,
        nodeFactory: doubleVotingFactory,
        checkVoteDurability: false,
        profile: { preVote: false, checkQuorum: false },
      },
      100,
      ['Election Safety'],
    );
  }, 120_000);

  it('a leader that commits a previous-term entry by counting (Figure 8) → a safety violation', async () => {
    await expectCaught(
      { nodes: 5, steps: 10_000, nodeFactory: figure8Factory, profile: leaderChurn },
      600,
      SAFETY,
    );
  }, 180_000);

  it('a runtime that sends messagesAfterAppend before persisting the Ready → a safety violation', async () => {
    await expectCaught(
      // The direct check at send time is switched off to show that the consequences
      // (a lost vote, an acknowledged entry that is not durable) are caught too.
      {
        nodes: 3,
        steps: 10_000,
        faults: { sendBeforePersist: true },
        checkPromisesDurableAtSend: false,
      },
      100,
      SAFETY,
    );
  }, 120_000);

  it('a runtime that sends messagesAfterAppend before persisting the Ready → Promises Durable at Send (the direct check)', async () => {
    const found = await expectCaught(
      { nodes: 3, steps: 10_000, faults: { sendBeforePersist: true } },
      5,
      ['Promises Durable at Send'],
    );
    // The first promise to leave early is a vote (elections come before replication).
    expect(found.violation!.message).toMatch(/grants its term-\d+ vote/);
  }, 120_000);

  it('a runtime that sends only AppendEntriesResponses before persisting → Promises Durable at Send on an acknowledgement', async () => {
    const found = await expectCaught(
      { nodes: 3, steps: 10_000, faults: { sendBeforePersist: ['AppendEntriesResponse'] } },
      20,
      ['Promises Durable at Send'],
    );
    expect(found.violation!.message).toMatch(/acknowledges index \d+/);
  }, 120_000);

  it('a snapshot store whose install leaves out the last entry → State Machine Safety', async () => {
    const found = await expectCaught(
      { nodes: 3, steps: 10_000, faults: { installDropsLastEntry: true } },
      20,
      ['State Machine Safety'],
    );
    expect(found.violation!.message).toMatch(
      /installed snapshot \d+, but its state machine holds \d+ entries/,
    );
  }, 120_000);

  it('a runtime that compacts its log beyond the snapshot it took → Log Compaction Safety', async () => {
    const found = await expectCaught(
      // The runtime's own snapshot policy with negative trailing entries: it compacts
      // three entries beyond each snapshot it takes.
      { nodes: 3, steps: 10_000, faults: { compactBeyondSnapshot: 3 } },
      20,
      ['Log Compaction Safety'],
    );
    expect(found.violation!.message).toMatch(
      /compacted its stored log up to (\d+), but its newest durable snapshot covers up to \d+/,
    );
  }, 120_000);
});

describe('the simulator exercises leadership transfers', () => {
  it('default profiles ask for transfers: most seeds see some, many complete, some are interrupted, writes are refused meanwhile', async () => {
    const SEEDS = 40;
    const total = (k: keyof SimStats, runs: SimResult[]): number =>
      runs.reduce((sum, r) => sum + r.stats[k], 0);
    const runs: SimResult[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const nodes = seed % 2 === 0 ? 5 : 3;
      const r = await runSimulation({ nodes, steps: 10_000, seed });
      expect(
        r.ok,
        r.violation === undefined ? '' : describeFailure(r, seed % 2 === 0 ? 5 : 3),
      ).toBe(true);
      runs.push(r);
    }
    const withTransfers = runs.filter((r) => r.stats.transfers > 0).length;
    const withCompleted = runs.filter((r) => r.stats.transfersCompleted > 0).length;
    expect(withTransfers).toBeGreaterThan(SEEDS / 2);
    expect(withCompleted).toBeGreaterThan(SEEDS / 4);
    // Most completed transfers end with the transferee leading; some time out, some are
    // hit by a crash or a partition while pending.
    expect(total('transfersToTarget', runs)).toBeGreaterThan(total('transfersCompleted', runs) / 2);
    expect(total('transfersFailed', runs)).toBeGreaterThan(0);
    expect(total('transfersInterrupted', runs)).toBeGreaterThan(0);
    expect(total('proposalsRefusedTransferring', runs)).toBeGreaterThan(0);
    // Lease reads are made, and some while the lease holds.
    expect(total('leaseReadsOnLease', runs)).toBeGreaterThan(0);
  }, 180_000);

  it('a leader that sends TimeoutNow before the transferee has caught up → Leadership Transfer', async () => {
    const found = await expectCaught(
      {
        nodes: 3,
        steps: 10_000,
        faults: { timeoutNowEarly: true },
        profile: { transferInterval: 150, transferToAnyRate: 0 },
      },
      20,
      ['Leadership Transfer'],
    );
    expect(found.violation!.message).toMatch(
      /sends TimeoutNow to n\d+, whose disk holds (no entry|an entry of term \d+) at the leader's last index/,
    );
  }, 120_000);
});

describe('the simulator exercises membership changes', () => {
  it('default profiles add, promote and remove members (the leader itself too), refuse some changes, and stop the nodes that left', async () => {
    const SEEDS = 30;
    const runs: SimResult[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const nodes = seed % 2 === 0 ? 5 : 3;
      const r = await runSimulation({ nodes, steps: 10_000, seed });
      expect(r.ok, r.violation === undefined ? '' : describeFailure(r, nodes)).toBe(true);
      runs.push(r);
    }
    const total = (k: keyof SimStats): number => runs.reduce((sum, r) => sum + r.stats[k], 0);
    expect(runs.filter((r) => r.stats.membershipCommitted > 0).length).toBeGreaterThan(SEEDS / 2);
    for (const k of [
      'nodesAdded',
      'learnersPromoted',
      'nodesRemoved',
      'leaderSelfRemovals',
      'nodesStarted',
      'nodesRetired',
      'membershipRefusedChangeInProgress',
      'membershipRefusedNoCommitInTerm',
      'membershipRefusedInvalid',
      'quorumDecisions',
    ] as const)
      expect(total(k), k).toBeGreaterThan(0);
    // The voters grow beyond the founding ones, up to about 7 (two changes in flight may
    // both promote a learner).
    expect(Math.max(...runs.map((r) => r.stats.maxVoters))).toBeGreaterThan(5);
    expect(Math.max(...runs.map((r) => r.stats.maxVoters))).toBeLessThanOrEqual(8);
  }, 180_000);

  it('a leader that appends a change while the previous one is uncommitted → Single-Server Change', async () => {
    const found = await expectCaught(
      { nodes: 3, steps: 10_000, nodeFactory: twoChangesFactory },
      30,
      ['Single-Server Change'],
    );
    expect(found.violation!.message).toMatch(/two uncommitted changes at once/);
  }, 120_000);

  it('a leader that appends a change while the previous one is uncommitted, its rules unchecked → a safety violation', async () => {
    // The direct check at the leader is switched off to show that the consequence, two
    // majorities that do not intersect, is caught too (a committed entry is lost).
    await expectCaught(
      {
        nodes: 3,
        steps: 10_000,
        nodeFactory: twoChangesFactory,
        checkSingleServerRules: false,
      },
      // The first seed that meets the lost entry moves with the runtime's schedule (167
      // since a restart counts the log it holds towards the next snapshot).
      250,
      SAFETY,
    );
  }, 180_000);

  it('a leader that removes two voters in one change → Single-Server Change', async () => {
    const found = await expectCaught(
      { nodes: 5, steps: 10_000, nodeFactory: twoVotersFactory },
      30,
      ['Single-Server Change'],
    );
    expect(found.violation!.message).toMatch(/more than one voter away/);
  }, 120_000);
});
