/**
 * Cluster membership: who votes, who only learns, and where each member listens.
 *
 * The configuration travels through the log as a `config` entry holding the whole new
 * membership (not a delta), so a node that reads one entry knows every member and
 * address. A configuration is in force as soon as it is in a node's log, committed or
 * not (thesis §4.1), and one that is truncated away takes the one before it back.
 *
 * Changes are single-server (thesis §4.1): each adds or removes at most one voter, so
 * any majority of the old voters and any majority of the new ones share a member, and
 * no two leaders can be elected in one term by disjoint majorities. Joint consensus
 * (§4.3) would allow arbitrary changes in one step, at the price of a second quorum
 * everywhere; growing, shrinking and replacing a node one at a time never needs it.
 *
 * The encoding is plain JSON in UTF-8: the core must decode it (it is not opaque like a
 * client command) and has no protobuf; every field is checked, as a config entry comes
 * from the network like any other.
 */
import type { NodeId } from './types.js';

export type MemberRole = 'voter' | 'learner';

export interface Member {
  readonly id: NodeId;
  readonly role: MemberRole;
  /** Where peers reach it (Raft messages, snapshots); opaque to the core. May be empty when unknown. */
  readonly peerAddress: string;
  /** Where clients reach it (leader hints); empty: the peer address. */
  readonly clientAddress: string;
}

export interface Membership {
  /** In a canonical order (by id), ids unique, at least one voter. */
  readonly members: readonly Member[];
}

/** Members at most (a bound on every table keyed by member). */
export const MAX_MEMBERS = 64;
/** Longest member id and address accepted, in characters. */
export const MAX_MEMBER_ID_LENGTH = 256;
export const MAX_ADDRESS_LENGTH = 256;
/** An encoded membership is never larger than this. */
export const MAX_MEMBERSHIP_BYTES = 64 * 1024;

/** One change of the single-server kind (see the module comment). */
export type MembershipChange =
  | {
      readonly type: 'add';
      readonly id: NodeId;
      readonly role: MemberRole;
      readonly peerAddress: string;
      readonly clientAddress?: string;
    }
  | { readonly type: 'promote'; readonly id: NodeId }
  | { readonly type: 'remove'; readonly id: NodeId };

/**
 * Node ids and addresses end up in log lines: no control characters (a newline could
 * forge a line). The wire's rule for a node id too (message-codec.ts).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const hasControlCharacters = (text: string): boolean => CONTROL_CHARACTERS.test(text);

/** Why `id` cannot name a member, or undefined. */
export function memberIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return 'a member id must be a non-empty string';
  if (id.length > MAX_MEMBER_ID_LENGTH)
    return `member id ${JSON.stringify(id.slice(0, 16))}… is longer than ${MAX_MEMBER_ID_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(id) || /\s/.test(id))
    return `member id ${JSON.stringify(id)} holds whitespace or control characters`;
  return undefined;
}

function addressProblem(what: string, address: unknown): string | undefined {
  if (typeof address !== 'string') return `${what} must be a string`;
  if (address.length > MAX_ADDRESS_LENGTH)
    return `${what} is longer than ${MAX_ADDRESS_LENGTH} characters`;
  if (/\s/.test(address)) return `${what} ${JSON.stringify(address)} holds whitespace`;
  return undefined;
}

/** Why `m` is not a valid membership, or undefined. */
export function membershipProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'a membership must be an object';
  const members = (m as { members?: unknown }).members;
  if (!Array.isArray(members)) return 'a membership must list its members';
  if (members.length > MAX_MEMBERS) return `more than ${MAX_MEMBERS} members`;
  const seen = new Set<string>();
  let voters = 0;
  for (const member of members as unknown[]) {
    if (typeof member !== 'object' || member === null) return 'a member must be an object';
    const { id, role, peerAddress, clientAddress } = member as Partial<Record<string, unknown>>;
    const idProblem = memberIdProblem(id);
    if (idProblem !== undefined) return idProblem;
    if (seen.has(id as string)) return `member ${String(id)} is listed twice`;
    seen.add(id as string);
    if (role !== 'voter' && role !== 'learner')
      return `member ${String(id)} has unknown role ${JSON.stringify(role)}`;
    if (role === 'voter') voters++;
    const problem =
      addressProblem(`member ${String(id)}'s peer address`, peerAddress) ??
      addressProblem(`member ${String(id)}'s client address`, clientAddress);
    if (problem !== undefined) return problem;
  }
  if (voters === 0) return 'a membership needs at least one voter';
  return undefined;
}

/** Members sorted by id, each with exactly the four fields: one encoding per membership. */
export function canonicalMembership(members: readonly Member[]): Membership {
  return {
    members: [...members]
      .map(({ id, role, peerAddress, clientAddress }) => ({
        id,
        role,
        peerAddress,
        clientAddress,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

/** The configuration of a cluster started from a list of voters (`--peers`). */
export function bootstrapMembership(
  voters: readonly NodeId[],
  peerAddress: (id: NodeId) => string = () => '',
  clientAddress: (id: NodeId) => string = () => '',
): Membership {
  return canonicalMembership(
    voters.map((id) => ({
      id,
      role: 'voter',
      peerAddress: peerAddress(id),
      clientAddress: clientAddress(id),
    })),
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeMembership(m: Membership): Uint8Array {
  return encoder.encode(JSON.stringify(canonicalMembership(m.members)));
}

export type DecodedMembership =
  | { readonly ok: true; readonly membership: Membership }
  | { readonly ok: false; readonly reason: string };

/** Decodes and checks a membership from bytes that came from disk or the network. */
export function decodeMembership(bytes: Uint8Array): DecodedMembership {
  if (bytes.byteLength > MAX_MEMBERSHIP_BYTES)
    return { ok: false, reason: `membership of ${bytes.byteLength} bytes is too large` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, reason: 'membership is not JSON in UTF-8' };
  }
  const problem = membershipProblem(parsed);
  if (problem !== undefined) return { ok: false, reason: problem };
  return {
    ok: true,
    membership: canonicalMembership((parsed as Membership).members),
  };
}

export const votersOf = (m: Membership): NodeId[] =>
  m.members.filter((x) => x.role === 'voter').map((x) => x.id);

export const learnersOf = (m: Membership): NodeId[] =>
  m.members.filter((x) => x.role === 'learner').map((x) => x.id);

export const memberOf = (m: Membership, id: NodeId): Member | undefined =>
  m.members.find((x) => x.id === id);

export function sameMembership(a: Membership, b: Membership): boolean {
  if (a.members.length !== b.members.length) return false;
  return a.members.every((x, k) => {
    const y = b.members[k]!;
    return (
      x.id === y.id &&
      x.role === y.role &&
      x.peerAddress === y.peerAddress &&
      x.clientAddress === y.clientAddress
    );
  });
}

/**
 * The membership after `change`, or why the change cannot be made to `current`. Each
 * change alters the voters by at most one (single-server changes, thesis §4.1).
 */
export function applyMembershipChange(
  current: Membership,
  change: MembershipChange,
): { ok: true; membership: Membership } | { ok: false; reason: string } {
  const idProblem = memberIdProblem(change.id);
  if (idProblem !== undefined) return { ok: false, reason: idProblem };
  const existing = memberOf(current, change.id);
  let members: Member[];
  switch (change.type) {
    case 'add': {
      if (change.role !== 'voter' && change.role !== 'learner')
        return { ok: false, reason: `unknown role ${JSON.stringify(change.role)}` };
      if (existing !== undefined)
        return { ok: false, reason: `${change.id} is already a ${existing.role}` };
      if (change.peerAddress === '')
        return { ok: false, reason: `a new member needs a peer address` };
      members = [
        ...current.members,
        {
          id: change.id,
          role: change.role,
          peerAddress: change.peerAddress,
          clientAddress: change.clientAddress ?? '',
        },
      ];
      break;
    }
    case 'promote':
      if (existing === undefined) return { ok: false, reason: `${change.id} is not a member` };
      if (existing.role === 'voter')
        return { ok: false, reason: `${change.id} is already a voter` };
      members = current.members.map((x) => (x.id === change.id ? { ...x, role: 'voter' } : x));
      break;
    case 'remove':
      if (existing === undefined) return { ok: false, reason: `${change.id} is not a member` };
      members = current.members.filter((x) => x.id !== change.id);
      break;
    default:
      return { ok: false, reason: 'unknown membership change' };
  }
  const membership = canonicalMembership(members);
  const problem = membershipProblem(membership);
  if (problem !== undefined) return { ok: false, reason: problem };
  return { ok: true, membership };
}
