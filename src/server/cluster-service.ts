/**
 * ClusterService: a node's Raft role, term, commit and applied index, (on the
 * leader) every member's replication progress, the digest of what it applied,
 * and while it starts, how far it has come loading its state. Open to clients,
 * like etcd's endpoint status: it reveals no data.
 */
import type * as grpc from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { TakeSnapshotReply } from '../generated/raftvec/v1/TakeSnapshotReply.js';
import { authenticatePeer } from '../raft/runtime/peer-transport.js';
import { stderrLogger, toServiceError, type Logger } from './status.js';
import { faissBuildInfo } from '../index/faiss.js';
import type { NodeStatus } from '../generated/raftvec/v1/NodeStatus.js';
import type { StatusRequest__Output } from '../generated/raftvec/v1/StatusRequest.js';
import type { RaftStatus } from '../raft/types.js';
import type { Membership } from '../raft/membership.js';
import type { Membership as MembershipProto } from '../generated/raftvec/v1/Membership.js';
import { clientAddressProblem } from '../raft/runtime/peer-transport.js';
import { memberIdProblem } from '../raft/membership.js';
import type { AppliedDigest, LoadProgress } from '../storage/state-machine.js';
import { VERIFIED_ROLE_HEADER } from './api-keys.js';

/** What the status reads from the state machine: its applied-entry digests. */
export interface AppliedDigestView {
  readonly appliedDigest: AppliedDigest;
  digestAt(index: number): string | undefined;
}

/** What the status reads from the Raft runtime. */
export interface RaftStatusView {
  status(): RaftStatus;
  leaderAddress(): string | undefined;
  readonly appliedIndex: number;
}

/** What a node's status is read from; the parts are absent until the node has loaded them. */
export interface StatusSource {
  id: string;
  address: () => string;
  runtime: () => RaftStatusView | undefined;
  stateMachine: () => AppliedDigestView | undefined;
  loading: () => LoadProgress;
}

function faissBuild(): NodeStatus['faiss'] {
  const build = faissBuildInfo();
  return { variant: build.variant, version: build.faissVersion, source: build.source };
}

function memoryUsage(): NodeStatus['memory'] {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external };
}

export function clusterStatusOf(source: StatusSource, digestAtIndex = 0): NodeStatus {
  const runtime = source.runtime();
  const stateMachine = source.stateMachine();
  const progress = source.loading();
  const loading = {
    collectionsTotal: progress.collectionsTotal,
    collectionsLoaded: progress.collectionsLoaded,
    collection: progress.collection ?? '',
    pointsLoaded: progress.pointsLoaded,
  };
  if (runtime === undefined || stateMachine === undefined) {
    return {
      id: source.id,
      address: source.address(),
      role: 'follower',
      phase: 'loading',
      loading,
      memory: memoryUsage(),
      faiss: faissBuild(),
    };
  }
  const status = runtime.status();
  const digestAt = digestAtIndex > 0 ? stateMachine.digestAt(digestAtIndex) : undefined;
  return {
    id: status.id,
    address: source.address(),
    role: status.role,
    term: status.term,
    leaderId: status.leaderId ?? '',
    leaderAddress: runtime.leaderAddress() ?? '',
    commitIndex: status.commitIndex,
    appliedIndex: runtime.appliedIndex,
    lastIndex: status.lastIndex,
    firstIndex: status.firstIndex,
    snapshotIndex: status.snapshotIndex,
    transferee: status.transferee ?? '',
    membership: membershipToProto(status.membership, status.membershipIndex, status.commitIndex),
    progress: Object.entries(status.progress ?? {}).map(([id, p]) => ({
      id,
      matchIndex: p.match,
      nextIndex: p.next,
      state: p.state,
    })),
    phase: 'running',
    loading,
    memory: memoryUsage(),
    faiss: faissBuild(),
    appliedDigest: stateMachine.appliedDigest,
    ...(digestAt !== undefined && { digestAt: { index: digestAtIndex, digest: digestAt } }),
  };
}

/** A configuration as ClusterService answers it. */
export function membershipToProto(
  membership: Membership,
  index: number,
  commitIndex: number,
): MembershipProto {
  return {
    members: membership.members.map((m) => ({
      id: m.id,
      role: m.role,
      peerAddress: m.peerAddress,
      clientAddress: m.clientAddress,
    })),
    index,
    committed: index <= commitIndex,
  };
}

/** The membership calls, as the node carries them out (each rejects with a RaftvecError or a runtime error). */
export interface MemberControl {
  list(): MembershipProto;
  add(request: {
    id: string;
    peerAddress: string;
    clientAddress: string;
    learner: boolean;
    timeoutMs: number;
  }): Promise<MembershipProto>;
  promote(id: string, timeoutMs: number): Promise<MembershipProto>;
  remove(id: string): Promise<MembershipProto>;
}

/** How long AddMember and PromoteMember wait for a learner to catch up, unless told. */
const DEFAULT_CATCH_UP_TIMEOUT_MS = 60_000;

/** What the admin calls need from the node: the cluster secret, a snapshot now, a leadership transfer. */
export interface SnapshotControl {
  clusterSecret: string;
  /** Mutual TLS is on: the cluster credential also needs the caller node's certificate. */
  requirePeerCertificate?: boolean;
  /** Where internal errors of the admin calls are logged (default stderr). */
  log?: Logger;
  takeSnapshot: () => Promise<{ index: number; firstIndex: number }>;
  /** Resolves with the new leader; rejects with a RaftvecError (or another error: UNAVAILABLE). */
  transferLeadership?: (
    to: string | undefined,
    timeoutMs: number | undefined,
  ) => Promise<{ leaderId: string; term: number }>;
  members?: MemberControl;
}

/** The longest a leadership transfer may be given: ten minutes. */
const MAX_TRANSFER_TIMEOUT_MS = 600_000;

export function clusterServiceHandlers(
  source: StatusSource,
  control?: SnapshotControl,
): grpc.UntypedServiceImplementation {
  const status: grpc.handleUnaryCall<StatusRequest__Output, NodeStatus> = (call, callback) => {
    const at = Number(call.request?.digestAtIndex ?? 0);
    callback(null, clusterStatusOf(source, Number.isSafeInteger(at) && at > 0 ? at : 0));
  };
  /** The admin control for a call with the cluster credential; otherwise answers the refusal. */
  const admitted = (
    call: grpc.ServerUnaryCall<unknown, unknown>,
    callback: (error: grpc.ServiceError | Partial<grpc.StatusObject>) => void,
  ): SnapshotControl | undefined => {
    if (control === undefined) {
      callback({ code: grpcStatus.UNAVAILABLE, details: 'this node is still starting' });
      return undefined;
    }
    // An admin API key, verified by the server's interceptor (api-keys.ts), will do.
    if (call.metadata.get(VERIFIED_ROLE_HEADER)[0] === 'admin') return control;
    const auth = authenticatePeer(
      call.metadata,
      control.clusterSecret,
      control.requirePeerCertificate ? { authContext: () => call.getAuthContext() } : undefined,
    );
    if ('refusal' in auth) {
      callback({ code: grpcStatus.UNAUTHENTICATED, details: auth.refusal });
      return undefined;
    }
    return control;
  };
  const takeSnapshot: grpc.handleUnaryCall<unknown, TakeSnapshotReply> = (call, callback) => {
    const control = admitted(call, callback);
    if (control === undefined) return;
    control.takeSnapshot().then(
      (taken) => callback(null, taken),
      (error: unknown) =>
        callback({
          code: grpcStatus.UNAVAILABLE,
          details: `the snapshot failed: ${error instanceof Error ? error.message : String(error)}`,
        }),
    );
  };
  const transferLeadership: grpc.handleUnaryCall<
    { to?: string; timeoutMs?: number },
    { leaderId: string; term: number }
  > = (call, callback) => {
    const transfer = admitted(call, callback)?.transferLeadership;
    if (transfer === undefined) return;
    const to = call.request?.to ?? '';
    const timeoutMs = Number(call.request?.timeoutMs ?? 0);
    // A node-side bound: a timer beyond 2^31 ms would fire at once.
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs > MAX_TRANSFER_TIMEOUT_MS) {
      callback({
        code: grpcStatus.INVALID_ARGUMENT,
        details: `timeout_ms must be at most ${MAX_TRANSFER_TIMEOUT_MS} (0: twice the election timeout), got ${timeoutMs}`,
      });
      return;
    }
    void transfer(to === '' ? undefined : to, timeoutMs > 0 ? timeoutMs : undefined).then(
      (done) => callback(null, done),
      (error: unknown) =>
        callback(toServiceError(error, 'TransferLeadership', control?.log ?? stderrLogger)),
    );
  };
  const invalid = (callback: (error: Partial<grpc.StatusObject>) => void, details: string): void =>
    callback({ code: grpcStatus.INVALID_ARGUMENT, details });
  /** timeout_ms checked as TransferLeadership's is; 0 gives the default. */
  const catchUpTimeout = (value: unknown): number | string => {
    const ms = Number(value ?? 0);
    if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TRANSFER_TIMEOUT_MS)
      return `timeout_ms must be at most ${MAX_TRANSFER_TIMEOUT_MS} (0: ${DEFAULT_CATCH_UP_TIMEOUT_MS}), got ${String(value)}`;
    return ms === 0 ? DEFAULT_CATCH_UP_TIMEOUT_MS : ms;
  };
  const answer =
    (method: string, callback: grpc.sendUnaryData<MembershipProto>) =>
    (promise: Promise<MembershipProto>): void => {
      promise.then(
        (m) => callback(null, m),
        (error: unknown) => callback(toServiceError(error, method, control?.log ?? stderrLogger)),
      );
    };
  const listMembers: grpc.handleUnaryCall<unknown, MembershipProto> = (_call, callback) => {
    if (control?.members === undefined) {
      callback({ code: grpcStatus.UNAVAILABLE, details: 'this node is still starting' });
      return;
    }
    callback(null, control.members.list());
  };
  const addMember: grpc.handleUnaryCall<
    {
      id?: string;
      peerAddress?: string;
      clientAddress?: string;
      learner?: boolean;
      timeoutMs?: number;
    },
    MembershipProto
  > = (call, callback) => {
    const members = admitted(call, callback)?.members;
    if (members === undefined) return;
    const r = call.request ?? {};
    const id = r.id ?? '';
    const idProblem = memberIdProblem(id);
    if (idProblem !== undefined) return invalid(callback, `id: ${idProblem}`);
    const peerProblem = clientAddressProblem(r.peerAddress ?? '');
    if (peerProblem !== undefined)
      return invalid(
        callback,
        `peer_address must be the HOST:PORT its peers reach it at: ${peerProblem}`,
      );
    const clientAddress = r.clientAddress ?? '';
    if (clientAddress !== '') {
      const problem = clientAddressProblem(clientAddress);
      if (problem !== undefined) return invalid(callback, `client_address: ${problem}`);
    }
    const timeoutMs = catchUpTimeout(r.timeoutMs);
    if (typeof timeoutMs === 'string') return invalid(callback, timeoutMs);
    answer(
      'AddMember',
      callback,
    )(
      members.add({
        id,
        peerAddress: r.peerAddress!,
        clientAddress,
        learner: r.learner === true,
        timeoutMs,
      }),
    );
  };
  const promoteMember: grpc.handleUnaryCall<
    { id?: string; timeoutMs?: number },
    MembershipProto
  > = (call, callback) => {
    const members = admitted(call, callback)?.members;
    if (members === undefined) return;
    const id = call.request?.id ?? '';
    const idProblem = memberIdProblem(id);
    if (idProblem !== undefined) return invalid(callback, `id: ${idProblem}`);
    const timeoutMs = catchUpTimeout(call.request?.timeoutMs);
    if (typeof timeoutMs === 'string') return invalid(callback, timeoutMs);
    answer('PromoteMember', callback)(members.promote(id, timeoutMs));
  };
  const removeMember: grpc.handleUnaryCall<{ id?: string }, MembershipProto> = (call, callback) => {
    const members = admitted(call, callback)?.members;
    if (members === undefined) return;
    const id = call.request?.id ?? '';
    const idProblem = memberIdProblem(id);
    if (idProblem !== undefined) return invalid(callback, `id: ${idProblem}`);
    answer('RemoveMember', callback)(members.remove(id));
  };
  return {
    Status: status,
    TakeSnapshot: takeSnapshot,
    TransferLeadership: transferLeadership,
    ListMembers: listMembers,
    AddMember: addMember,
    PromoteMember: promoteMember,
    RemoveMember: removeMember,
  };
}
