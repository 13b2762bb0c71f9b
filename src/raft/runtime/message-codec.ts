import { limits } from '../../limits.js';
import { messageMalformation } from '../raft-node.js';
import { hasControlCharacters } from '../membership.js';
import type { Entry, Message } from '../types.js';

/**
 * The `raftvec.v1.RaftMessage` protobuf as @grpc/proto-loader hands it over
 * (longs as numbers, oneofs named by `body`, defaults filled in).
 */
export interface WireEntry {
  index: number;
  term: number;
  type: 'ENTRY_TYPE_NORMAL' | 'ENTRY_TYPE_NOOP' | 'ENTRY_TYPE_CONFIG';
  data: Uint8Array;
}

interface WireVoteRequest {
  lastLogIndex: number;
  lastLogTerm: number;
  leadershipTransfer?: boolean;
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
  heartbeat?: { commit: number; readContext: number; leaseCommit?: number; leaseTimeMs?: number };
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

/**
 * A peer message that no correct raftvec node sends: wrong types, numbers outside
 * [0, 2^53), not exactly one body, oversized ids or payloads, or a Raft shape that
 * cannot be (see messageMalformation). The peer server drops and logs it; it never
 * reaches the Raft core.
 */
export class MalformedMessageError extends Error {
  readonly code = 'MALFORMED_MESSAGE' as const;

  constructor(message: string) {
    super(`malformed raft message: ${message}`);
    this.name = 'MalformedMessageError';
  }
}

/**
 * Longest node id accepted from the wire. The CLI allows 64 characters; the bound
 * only keeps a peer from making us hold and log arbitrarily long strings.
 */
export const MAX_NODE_ID_LENGTH = 256;

/** Why `id` cannot be a node id, or undefined. */
export function nodeIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return 'must be a non-empty string';
  if (id.length > MAX_NODE_ID_LENGTH) return `is longer than ${MAX_NODE_ID_LENGTH} characters`;
  if (hasControlCharacters(id)) return 'contains control characters';
  return undefined;
}

const BODY_FIELDS = [
  'preVote',
  'preVoteResponse',
  'requestVote',
  'requestVoteResponse',
  'appendEntries',
  'appendEntriesResponse',
  'heartbeat',
  'heartbeatResponse',
  'installSnapshot',
  'timeoutNow',
] as const;

type BodyField = (typeof BODY_FIELDS)[number];

const entryToWire = (e: Entry): WireEntry => ({
  index: e.index,
  term: e.term,
  type:
    e.type === 'noop'
      ? 'ENTRY_TYPE_NOOP'
      : e.type === 'config'
        ? 'ENTRY_TYPE_CONFIG'
        : 'ENTRY_TYPE_NORMAL',
  data: e.data,
});

export function messageToWire(m: Message): WireRaftMessage {
  const head = { from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'PreVote':
      return { ...head, preVote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm } };
    case 'PreVoteResponse':
      return { ...head, preVoteResponse: { granted: m.granted } };
    case 'RequestVote':
      return {
        ...head,
        requestVote: {
          lastLogIndex: m.lastLogIndex,
          lastLogTerm: m.lastLogTerm,
          leadershipTransfer: m.transfer === true,
        },
      };
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
      return {
        ...head,
        heartbeat: {
          commit: m.commit,
          readContext: m.readContext,
          leaseCommit: m.freshness?.commit ?? 0,
          leaseTimeMs: m.freshness?.wallTimeMs ?? 0,
        },
      };
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

/**
 * Reading an untrusted object field by field: every value is `unknown` until
 * checked, whatever WireRaftMessage claims (that type describes what a correct
 * peer sends, not what arrives).
 */
function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedMessageError(`${field} must be a message`);
  return value as Record<string, unknown>;
}

function indexAt(o: Record<string, unknown>, field: string, where: string): number {
  const value = o[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    // uint64 values of 2^53 and more arrive rounded (longs: Number) and land here too.
    throw new MalformedMessageError(
      `${where}${field} must be an integer in [0, 2^53), got ${describe(value)}`,
    );
  }
  return value;
}

function booleanAt(o: Record<string, unknown>, field: string, where: string): boolean {
  const value = o[field];
  if (typeof value !== 'boolean')
    throw new MalformedMessageError(`${where}${field} must be a boolean, got ${describe(value)}`);
  return value;
}

/** A checked bytes field, still a view into the gRPC receive buffer: copy what is kept. */
function wireBytesAt(
  o: Record<string, unknown>,
  field: string,
  where: string,
  maxBytes: number,
): Uint8Array {
  const value = o[field];
  if (!(value instanceof Uint8Array))
    throw new MalformedMessageError(`${where}${field} must be bytes`);
  if (value.byteLength > maxBytes)
    throw new MalformedMessageError(
      `${where}${field} is ${value.byteLength} bytes, above the limit of ${maxBytes}`,
    );
  return value;
}

/**
 * The entries of one AppendEntries with their data copied out of the gRPC receive
 * buffer (the core keeps entries, and must not pin it) into one buffer for the
 * message: a backing store of its own per entry cost more than the copy.
 */
function entriesFromWire(wire: readonly unknown[]): Entry[] {
  const checked = wire.map((e: unknown, k) => entryFromWire(e, k));
  let total = 0;
  for (const e of checked) total += e.data.byteLength;
  const owned = new Uint8Array(total);
  let at = 0;
  return checked.map((e) => {
    owned.set(e.data, at);
    const data = owned.subarray(at, at + e.data.byteLength);
    at += e.data.byteLength;
    return { index: e.index, term: e.term, type: e.type, data };
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}

function entryFromWire(value: unknown, k: number): Entry {
  const where = `appendEntries.entries[${k}].`;
  const e = objectAt(value, `appendEntries.entries[${k}]`);
  let type: Entry['type'];
  if (e['type'] === 'ENTRY_TYPE_NORMAL') type = 'normal';
  else if (e['type'] === 'ENTRY_TYPE_NOOP') type = 'noop';
  else if (e['type'] === 'ENTRY_TYPE_CONFIG') type = 'config';
  else throw new MalformedMessageError(`${where}type ${describe(e['type'])} is not an entry type`);
  return {
    index: indexAt(e, 'index', where),
    term: indexAt(e, 'term', where),
    type,
    data: wireBytesAt(e, 'data', where, limits.maxLogEntryBytes),
  };
}

/** The one body field that is set; a protobuf oneof, but the object may come from anywhere. */
function bodyOf(w: Record<string, unknown>): BodyField {
  const present = BODY_FIELDS.filter((f) => w[f] !== undefined && w[f] !== null);
  if (present.length !== 1) {
    throw new MalformedMessageError(
      present.length === 0
        ? 'the message has no body'
        : `the message has ${present.length} bodies (${present.join(', ')}); exactly one is allowed`,
    );
  }
  const body = present[0]!;
  // proto-loader names the set oneof member in `body` (oneofs: true).
  if (w['body'] !== undefined && w['body'] !== null && w['body'] !== body)
    throw new MalformedMessageError(`body names ${describe(w['body'])} but ${body} is set`);
  return body;
}

/**
 * Decodes and validates a message from a peer. Throws MalformedMessageError for
 * anything a correct node would not send, so that the Raft core only ever sees
 * well-formed messages (it checks again, and checks what needs its state).
 */
export function messageFromWire(wire: WireRaftMessage): Message {
  const w = objectAt(wire as unknown, 'the raft message');
  for (const field of ['from', 'to'] as const) {
    const problem = nodeIdProblem(w[field]);
    if (problem !== undefined) throw new MalformedMessageError(`${field} ${problem}`);
  }
  const head = { from: w['from'] as string, to: w['to'] as string, term: indexAt(w, 'term', '') };
  if (head.from === head.to) throw new MalformedMessageError(`from and to are both ${head.from}`);
  const message = decodeBody(w, head);
  const problem = messageMalformation(message);
  if (problem !== undefined)
    throw new MalformedMessageError(`${message.type} from ${head.from}: ${problem}`);
  return message;
}

function decodeBody(
  w: Record<string, unknown>,
  head: { from: string; to: string; term: number },
): Message {
  const field = bodyOf(w);
  const b = objectAt(w[field], field);
  const at = `${field}.`;
  switch (field) {
    case 'preVote':
      return {
        ...head,
        type: 'PreVote',
        lastLogIndex: indexAt(b, 'lastLogIndex', at),
        lastLogTerm: indexAt(b, 'lastLogTerm', at),
      };
    case 'requestVote': {
      // Absent (false) from an older build.
      const transfer =
        b['leadershipTransfer'] === undefined ? false : booleanAt(b, 'leadershipTransfer', at);
      return {
        ...head,
        type: 'RequestVote',
        lastLogIndex: indexAt(b, 'lastLogIndex', at),
        lastLogTerm: indexAt(b, 'lastLogTerm', at),
        ...(transfer && { transfer: true }),
      };
    }
    case 'preVoteResponse':
    case 'requestVoteResponse':
      return {
        ...head,
        type: field === 'preVoteResponse' ? 'PreVoteResponse' : 'RequestVoteResponse',
        granted: booleanAt(b, 'granted', at),
      };
    case 'appendEntries': {
      const entries = b['entries'] ?? [];
      if (!Array.isArray(entries)) throw new MalformedMessageError(`${at}entries must be a list`);
      return {
        ...head,
        type: 'AppendEntries',
        prevLogIndex: indexAt(b, 'prevLogIndex', at),
        prevLogTerm: indexAt(b, 'prevLogTerm', at),
        entries: entriesFromWire(entries),
        leaderCommit: indexAt(b, 'leaderCommit', at),
      };
    }
    case 'appendEntriesResponse':
      return {
        ...head,
        type: 'AppendEntriesResponse',
        success: booleanAt(b, 'success', at),
        matchIndex: indexAt(b, 'matchIndex', at),
        rejectedIndex: indexAt(b, 'rejectedIndex', at),
        conflictTerm: indexAt(b, 'conflictTerm', at),
        hintIndex: indexAt(b, 'hintIndex', at),
      };
    case 'heartbeat': {
      // Absent (0) from a leader without a lease, or from an older build.
      const leaseTimeMs = b['leaseTimeMs'] === undefined ? 0 : indexAt(b, 'leaseTimeMs', at);
      const leaseCommit = b['leaseCommit'] === undefined ? 0 : indexAt(b, 'leaseCommit', at);
      return {
        ...head,
        type: 'Heartbeat',
        commit: indexAt(b, 'commit', at),
        readContext: indexAt(b, 'readContext', at),
        ...(leaseTimeMs > 0 && { freshness: { commit: leaseCommit, wallTimeMs: leaseTimeMs } }),
      };
    }
    case 'heartbeatResponse':
      return { ...head, type: 'HeartbeatResponse', readContext: indexAt(b, 'readContext', at) };
    case 'installSnapshot':
      return {
        ...head,
        type: 'InstallSnapshot',
        lastIncludedIndex: indexAt(b, 'lastIncludedIndex', at),
        lastIncludedTerm: indexAt(b, 'lastIncludedTerm', at),
        offset: indexAt(b, 'offset', at),
        // A copy: the core keeps the chunk, and must not pin the gRPC receive buffer.
        data: new Uint8Array(wireBytesAt(b, 'data', at, limits.maxMessageBytes)),
        done: booleanAt(b, 'done', at),
      };
    case 'timeoutNow':
      return { ...head, type: 'TimeoutNow' };
  }
}
