import { describe, expect, it } from 'vitest';
import { raftPeerServiceDefinition } from '../../../src/raft/runtime/peer-transport.js';
import {
  messageFromWire,
  messageToWire,
  MalformedMessageError,
} from '../../../src/raft/runtime/message-codec.js';
import type { Message } from '../../../src/raft/types.js';

const head = { from: 'n1', to: 'n2', term: 7 };
const samples: Message[] = [
  { ...head, type: 'PreVote', lastLogIndex: 10, lastLogTerm: 6 },
  { ...head, type: 'PreVoteResponse', granted: true },
  { ...head, type: 'RequestVote', lastLogIndex: 2 ** 40, lastLogTerm: 6 },
  { ...head, type: 'RequestVoteResponse', granted: false },
  {
    ...head,
    type: 'AppendEntries',
    prevLogIndex: 9,
    prevLogTerm: 6,
    leaderCommit: 8,
    entries: [
      { index: 10, term: 7, type: 'noop', data: new Uint8Array(0) },
      { index: 11, term: 7, type: 'normal', data: new Uint8Array([1, 2, 3, 255]) },
    ],
  },
  {
    ...head,
    type: 'AppendEntriesResponse',
    success: false,
    matchIndex: 0,
    rejectedIndex: 9,
    conflictTerm: 5,
    hintIndex: 4,
  },
  { ...head, type: 'Heartbeat', commit: 8, readContext: 3 },
  { ...head, type: 'HeartbeatResponse', readContext: 3 },
  {
    ...head,
    type: 'InstallSnapshot',
    lastIncludedIndex: 100,
    lastIncludedTerm: 5,
    offset: 0,
    data: new Uint8Array([9]),
    done: true,
  },
  { ...head, type: 'TimeoutNow' },
];

describe('raft message codec', () => {
  const method = raftPeerServiceDefinition()['Deliver']!;
  for (const message of samples) {
    it(`round-trips ${message.type} through protobuf bytes`, () => {
      const bytes = method.requestSerialize(messageToWire(message));
      const decoded = messageFromWire(method.requestDeserialize(bytes));
      expect(decoded).toEqual(message);
    });
  }

  it('rejects a message without a body or without addresses', () => {
    expect(() => messageFromWire({ from: 'n1', to: 'n2', term: 1 })).toThrow(MalformedMessageError);
    expect(() =>
      messageFromWire({ from: '', to: 'n2', term: 1, heartbeat: { commit: 0, readContext: 0 } }),
    ).toThrow(/from and to/);
  });
});
