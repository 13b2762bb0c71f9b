import { describe, expect, it } from 'vitest';
import { raftPeerServiceDefinition } from '../../../src/raft/runtime/peer-transport.js';
import {
  messageFromWire,
  messageToWire,
  MalformedMessageError,
  type WireEntry,
  type WireRaftMessage,
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

  it('rejects a message without a body or without addresses (from the start)', () => {
    expect(() => messageFromWire({ from: 'n1', to: 'n2', term: 1 })).toThrow(MalformedMessageError);
    expect(() =>
      messageFromWire({ from: '', to: 'n2', term: 1, heartbeat: { commit: 0, readContext: 0 } }),
    ).toThrow(/from must be a non-empty string/);
  });
});

describe('raft message codec: what a correct peer never sends', () => {
  const method = raftPeerServiceDefinition()['Deliver']!;
  const hb = { commit: 0, readContext: 0 };
  const wireEntry = (index: number, term: number): WireEntry => ({
    index,
    term,
    type: 'ENTRY_TYPE_NORMAL',
    data: new Uint8Array([1]),
  });
  const ae = (
    prevLogIndex: number,
    prevLogTerm: number,
    entries: WireEntry[],
  ): WireRaftMessage => ({
    ...head,
    appendEntries: { prevLogIndex, prevLogTerm, entries, leaderCommit: 0 },
  });
  /** Bypasses the static types: the decoder must check what arrives, not what should. */
  const decode = (w: unknown): Message => messageFromWire(w as WireRaftMessage);

  it.each([
    [
      'a negative term',
      { ...head, term: -1, heartbeat: hb },
      /term must be an integer in \[0, 2\^53\), got -1/,
    ],
    [
      'a fractional commit',
      { ...head, heartbeat: { commit: 1.5, readContext: 0 } },
      /heartbeat\.commit must be an integer/,
    ],
    [
      '2^53 as an index',
      { ...head, heartbeat: { commit: 2 ** 53, readContext: 0 } },
      /heartbeat\.commit must be an integer/,
    ],
    [
      'NaN',
      { ...head, heartbeat: { commit: Number.NaN, readContext: 0 } },
      /commit must be an integer/,
    ],
    ['a number as text', { ...head, term: '7', heartbeat: hb }, /term must be an integer.*got "7"/],
    ['no body', { ...head }, /no body/],
    ['two bodies', { ...head, heartbeat: hb, heartbeatResponse: { readContext: 0 } }, /2 bodies/],
    [
      'a body name that disagrees',
      { ...head, body: 'preVote', heartbeat: hb },
      /body names "preVote" but heartbeat is set/,
    ],
    ['an empty sender', { ...head, from: '', heartbeat: hb }, /from must be a non-empty string/],
    [
      'a sender id of 257 characters',
      { ...head, from: 'n'.repeat(257), heartbeat: hb },
      /from is longer than 256/,
    ],
    [
      'a recipient id of 257 characters',
      { ...head, to: 'n'.repeat(257), heartbeat: hb },
      /to is longer than 256/,
    ],
    [
      'a newline in an id (log forging)',
      { ...head, from: 'n1\nFATAL', heartbeat: hb },
      /control characters/,
    ],
    [
      'a message to its own sender',
      { ...head, to: 'n1', heartbeat: hb },
      /from and to are both n1/,
    ],
    [
      'a non-boolean grant',
      { ...head, preVoteResponse: { granted: 'yes' } },
      /granted must be a boolean/,
    ],
    [
      'entries not contiguous from prevLogIndex + 1',
      ae(9, 6, [wireEntry(10, 7), wireEntry(12, 7)]),
      /not contiguous/,
    ],
    ['a first entry not at prevLogIndex + 1', ae(9, 6, [wireEntry(11, 7)]), /not contiguous/],
    [
      'an entry term above the message term',
      ae(9, 6, [wireEntry(10, 8)]),
      /entry 10 has term 8, outside \[6, 7\]/,
    ],
    [
      'entry terms that decrease',
      ae(9, 5, [wireEntry(10, 7), wireEntry(11, 6)]),
      /entry 11 has term 6/,
    ],
    ['an entry term below prevLogTerm', ae(9, 6, [wireEntry(10, 5)]), /entry 10 has term 5/],
    ['prevLogIndex 0 with a term', ae(0, 3, []), /only index 0 has term 0/],
    ['prevLogTerm above the message term', ae(9, 8, []), /prevLog term 8 above the message term 7/],
    [
      'an unknown entry type',
      ae(9, 6, [{ ...wireEntry(10, 7), type: 5 as unknown as WireEntry['type'] }]),
      /type 5 is not an entry type/,
    ],
    [
      'entry data that is not bytes',
      ae(9, 6, [{ ...wireEntry(10, 7), data: 'x' as unknown as Uint8Array }]),
      /data must be bytes/,
    ],
    [
      'entries that are not a list',
      { ...head, appendEntries: { prevLogIndex: 0, prevLogTerm: 0, entries: {}, leaderCommit: 0 } },
      /entries must be a list/,
    ],
    [
      'a vote request whose last log term is above its term',
      { ...head, requestVote: { lastLogIndex: 3, lastLogTerm: 8 } },
      /last log term 8 above the message term 7/,
    ],
    [
      'a conflict term above the message term',
      {
        ...head,
        appendEntriesResponse: {
          success: false,
          matchIndex: 0,
          rejectedIndex: 3,
          conflictTerm: 9,
          hintIndex: 1,
        },
      },
      /conflictTerm 9 above/,
    ],
  ])('refuses %s', (_what, wire, message) => {
    expect(() => decode(wire)).toThrow(MalformedMessageError);
    expect(() => decode(wire)).toThrow(message);
  });

  it('refuses a uint64 of 2^53 or more decoded from protobuf bytes (it arrives rounded)', () => {
    const bytes = method.requestSerialize({ ...head, term: '9007199254740993', heartbeat: hb });
    expect(() => messageFromWire(method.requestDeserialize(bytes))).toThrow(
      /term must be an integer/,
    );
    const max = method.requestSerialize({
      ...head,
      term: 7,
      heartbeat: { commit: '18446744073709551615', readContext: 0 },
    });
    expect(() => messageFromWire(method.requestDeserialize(max))).toThrow(/heartbeat\.commit/);
  });

  it('accepts the largest safe integer and an id of 256 characters', () => {
    const id = 'n'.repeat(256);
    expect(
      decode({ ...head, from: id, term: Number.MAX_SAFE_INTEGER, heartbeat: hb }),
    ).toMatchObject({
      from: id,
      term: Number.MAX_SAFE_INTEGER,
    });
  });

  it('copies entry payloads out of the receive buffer', () => {
    const data = new Uint8Array([1, 2, 3]);
    const decoded = decode(ae(9, 6, [{ ...wireEntry(10, 7), data }]));
    if (decoded.type !== 'AppendEntries') throw new Error('expected AppendEntries');
    data[0] = 9;
    expect([...decoded.entries[0]!.data]).toEqual([1, 2, 3]);
  });

  it("keeps a message's entries in one buffer of their own, sized to their data", () => {
    // Views into one large receive buffer, as gRPC hands them over.
    const received = new Uint8Array(64 * 1024).fill(7);
    received.set([1, 2, 3], 100);
    received.set([4, 5], 200);
    const decoded = decode(
      ae(9, 6, [
        { ...wireEntry(10, 7), data: received.subarray(100, 103) },
        { ...wireEntry(11, 7), type: 'ENTRY_TYPE_NOOP', data: new Uint8Array(0) },
        { ...wireEntry(12, 7), data: received.subarray(200, 202) },
      ]),
    );
    if (decoded.type !== 'AppendEntries') throw new Error('expected AppendEntries');
    expect(decoded.entries.map((e) => [...e.data])).toEqual([[1, 2, 3], [], [4, 5]]);
    const owned = decoded.entries[0]!.data.buffer;
    expect(owned).not.toBe(received.buffer);
    expect(owned.byteLength).toBe(5);
    expect(decoded.entries[2]!.data.buffer).toBe(owned);
    received.fill(0);
    expect(decoded.entries.map((e) => [...e.data])).toEqual([[1, 2, 3], [], [4, 5]]);
  });
});
