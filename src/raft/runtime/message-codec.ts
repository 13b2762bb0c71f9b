import type { Entry, Message } from '../types.js';

/**
 * The `raftvec.v1.RaftMessage` protobuf as @grpc/proto-loader hands it over
 * (longs as numbers, oneofs named by `body`, defaults filled in).
 */
export interface WireEntry {
  index: number;
  term: number;
  type: 'ENTRY_TYPE_NORMAL' | 'ENTRY_TYPE_NOOP';
  data: Uint8Array;
}

interface WireVoteRequest {
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface WireRaftMessage {
  from: string;
  to: string;
  term: number;
  body?: string;
  preVote?: WireVoteRequest;
  preVoteResponse?: { granted: boolean };
  requestVote?: WireVoteRequest;
  requestVoteResponse?: { granted: boolean };
  appendEntries?: {
    prevLogIndex: number;
    prevLogTerm: number;
    entries: WireEntry[];
    leaderCommit: number;
  };
  appendEntriesResponse?: {
    success: boolean;
    matchIndex: number;
    rejectedIndex: number;
    conflictTerm: number;
    hintIndex: number;
  };
  heartbeat?: { commit: number; readContext: number };
  heartbeatResponse?: { readContext: number };
  installSnapshot?: {
    lastIncludedIndex: number;
    lastIncludedTerm: number;
    offset: number;
    data: Uint8Array;
    done: boolean;
  };
  timeoutNow?: Record<string, never>;
}

export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(`malformed raft message: ${message}`);
    this.name = 'MalformedMessageError';
  }
}

const entryToWire = (e: Entry): WireEntry => ({
  index: e.index,
  term: e.term,
  type: e.type === 'noop' ? 'ENTRY_TYPE_NOOP' : 'ENTRY_TYPE_NORMAL',
  data: e.data,
});

const entryFromWire = (e: WireEntry): Entry => ({
  index: Number(e.index),
  term: Number(e.term),
  type: e.type === 'ENTRY_TYPE_NOOP' ? 'noop' : 'normal',
  data: new Uint8Array(e.data),
});

export function messageToWire(m: Message): WireRaftMessage {
  const head = { from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'PreVote':
      return { ...head, preVote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm } };
    case 'PreVoteResponse':
      return { ...head, preVoteResponse: { granted: m.granted } };
    case 'RequestVote':
      return { ...head, requestVote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm } };
    case 'RequestVoteResponse':
      return { ...head, requestVoteResponse: { granted: m.granted } };
    case 'AppendEntries':
      return {
        ...head,
        appendEntries: {
          prevLogIndex: m.prevLogIndex,
          prevLogTerm: m.prevLogTerm,
          entries: m.entries.map(entryToWire),
          leaderCommit: m.leaderCommit,
        },
      };
    case 'AppendEntriesResponse':
      return {
        ...head,
        appendEntriesResponse: {
          success: m.success,
          matchIndex: m.matchIndex,
          rejectedIndex: m.rejectedIndex,
          conflictTerm: m.conflictTerm,
          hintIndex: m.hintIndex,
        },
      };
    case 'Heartbeat':
      return { ...head, heartbeat: { commit: m.commit, readContext: m.readContext } };
    case 'HeartbeatResponse':
      return { ...head, heartbeatResponse: { readContext: m.readContext } };
    case 'InstallSnapshot':
      return {
        ...head,
        installSnapshot: {
          lastIncludedIndex: m.lastIncludedIndex,
          lastIncludedTerm: m.lastIncludedTerm,
          offset: m.offset,
          data: m.data,
          done: m.done,
        },
      };
    case 'TimeoutNow':
      return { ...head, timeoutNow: {} };
  }
}

export function messageFromWire(w: WireRaftMessage): Message {
  if (!w.from || !w.to) throw new MalformedMessageError('from and to are required');
  const head = { from: w.from, to: w.to, term: Number(w.term) };
  const n = Number;
  if (w.preVote) {
    return {
      ...head,
      type: 'PreVote',
      lastLogIndex: n(w.preVote.lastLogIndex),
      lastLogTerm: n(w.preVote.lastLogTerm),
    };
  }
  if (w.preVoteResponse)
    return { ...head, type: 'PreVoteResponse', granted: w.preVoteResponse.granted };
  if (w.requestVote) {
    return {
      ...head,
      type: 'RequestVote',
      lastLogIndex: n(w.requestVote.lastLogIndex),
      lastLogTerm: n(w.requestVote.lastLogTerm),
    };
  }
  if (w.requestVoteResponse) {
    return { ...head, type: 'RequestVoteResponse', granted: w.requestVoteResponse.granted };
  }
  if (w.appendEntries) {
    const a = w.appendEntries;
    return {
      ...head,
      type: 'AppendEntries',
      prevLogIndex: n(a.prevLogIndex),
      prevLogTerm: n(a.prevLogTerm),
      entries: (a.entries ?? []).map(entryFromWire),
      leaderCommit: n(a.leaderCommit),
    };
  }
  if (w.appendEntriesResponse) {
    const r = w.appendEntriesResponse;
    return {
      ...head,
      type: 'AppendEntriesResponse',
      success: r.success,
      matchIndex: n(r.matchIndex),
      rejectedIndex: n(r.rejectedIndex),
      conflictTerm: n(r.conflictTerm),
      hintIndex: n(r.hintIndex),
    };
  }
  if (w.heartbeat) {
    return {
      ...head,
      type: 'Heartbeat',
      commit: n(w.heartbeat.commit),
      readContext: n(w.heartbeat.readContext),
    };
  }
  if (w.heartbeatResponse) {
    return { ...head, type: 'HeartbeatResponse', readContext: n(w.heartbeatResponse.readContext) };
  }
  if (w.installSnapshot) {
    const s = w.installSnapshot;
    return {
      ...head,
      type: 'InstallSnapshot',
      lastIncludedIndex: n(s.lastIncludedIndex),
      lastIncludedTerm: n(s.lastIncludedTerm),
      offset: n(s.offset),
      data: new Uint8Array(s.data),
      done: s.done,
    };
  }
  if (w.timeoutNow) return { ...head, type: 'TimeoutNow' };
  throw new MalformedMessageError(`message from ${w.from} has no body`);
}
