// Original file: proto/raftvec/v1/raft.proto

import type { VoteRequest as _raftvec_v1_VoteRequest, VoteRequest__Output as _raftvec_v1_VoteRequest__Output } from '../../raftvec/v1/VoteRequest.js';
import type { VoteResponse as _raftvec_v1_VoteResponse, VoteResponse__Output as _raftvec_v1_VoteResponse__Output } from '../../raftvec/v1/VoteResponse.js';
import type { AppendEntries as _raftvec_v1_AppendEntries, AppendEntries__Output as _raftvec_v1_AppendEntries__Output } from '../../raftvec/v1/AppendEntries.js';
import type { AppendEntriesResponse as _raftvec_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _raftvec_v1_AppendEntriesResponse__Output } from '../../raftvec/v1/AppendEntriesResponse.js';
import type { Heartbeat as _raftvec_v1_Heartbeat, Heartbeat__Output as _raftvec_v1_Heartbeat__Output } from '../../raftvec/v1/Heartbeat.js';
import type { HeartbeatResponse as _raftvec_v1_HeartbeatResponse, HeartbeatResponse__Output as _raftvec_v1_HeartbeatResponse__Output } from '../../raftvec/v1/HeartbeatResponse.js';
import type { InstallSnapshot as _raftvec_v1_InstallSnapshot, InstallSnapshot__Output as _raftvec_v1_InstallSnapshot__Output } from '../../raftvec/v1/InstallSnapshot.js';
import type { TimeoutNow as _raftvec_v1_TimeoutNow, TimeoutNow__Output as _raftvec_v1_TimeoutNow__Output } from '../../raftvec/v1/TimeoutNow.js';
import type { Long } from '@grpc/proto-loader';

export interface RaftMessage {
  'from'?: (string);
  'to'?: (string);
  'term'?: (number | string | Long);
  'preVote'?: (_raftvec_v1_VoteRequest | null);
  'preVoteResponse'?: (_raftvec_v1_VoteResponse | null);
  'requestVote'?: (_raftvec_v1_VoteRequest | null);
  'requestVoteResponse'?: (_raftvec_v1_VoteResponse | null);
  'appendEntries'?: (_raftvec_v1_AppendEntries | null);
  'appendEntriesResponse'?: (_raftvec_v1_AppendEntriesResponse | null);
  'heartbeat'?: (_raftvec_v1_Heartbeat | null);
  'heartbeatResponse'?: (_raftvec_v1_HeartbeatResponse | null);
  /**
   * unused: snapshots travel by RaftPeer.InstallSnapshot
   */
  'installSnapshot'?: (_raftvec_v1_InstallSnapshot | null);
  /**
   * leadership transfer: the leader tells a voter to campaign now
   */
  'timeoutNow'?: (_raftvec_v1_TimeoutNow | null);
  'body'?: "preVote"|"preVoteResponse"|"requestVote"|"requestVoteResponse"|"appendEntries"|"appendEntriesResponse"|"heartbeat"|"heartbeatResponse"|"installSnapshot"|"timeoutNow";
}

export interface RaftMessage__Output {
  'from': (string);
  'to': (string);
  'term': (number);
  'preVote'?: (_raftvec_v1_VoteRequest__Output | null);
  'preVoteResponse'?: (_raftvec_v1_VoteResponse__Output | null);
  'requestVote'?: (_raftvec_v1_VoteRequest__Output | null);
  'requestVoteResponse'?: (_raftvec_v1_VoteResponse__Output | null);
  'appendEntries'?: (_raftvec_v1_AppendEntries__Output | null);
  'appendEntriesResponse'?: (_raftvec_v1_AppendEntriesResponse__Output | null);
  'heartbeat'?: (_raftvec_v1_Heartbeat__Output | null);
  'heartbeatResponse'?: (_raftvec_v1_HeartbeatResponse__Output | null);
  /**
   * unused: snapshots travel by RaftPeer.InstallSnapshot
   */
  'installSnapshot'?: (_raftvec_v1_InstallSnapshot__Output | null);
  /**
   * leadership transfer: the leader tells a voter to campaign now
   */
  'timeoutNow'?: (_raftvec_v1_TimeoutNow__Output | null);
  'body'?: "preVote"|"preVoteResponse"|"requestVote"|"requestVoteResponse"|"appendEntries"|"appendEntriesResponse"|"heartbeat"|"heartbeatResponse"|"installSnapshot"|"timeoutNow";
}
