import { describe, expect, it } from 'vitest';
import {
  CLUSTER_SERVICE_NAME,
  clusterServiceDefinition,
  HEALTH_SERVICE_NAME,
  healthServiceDefinition,
  loadVectorProto,
  raftPeerServiceDefinition,
  reflectionPackageDefinition,
  VECTOR_SERVICE_NAME,
} from '../../src/api/proto.js';
import { LEADER_ADDRESS_KEY, LEADER_ID_KEY } from '../../src/api/metadata-keys.js';
import { messageToWire } from '../../src/raft/runtime/message-codec.js';

describe('proto loading', () => {
  it('loads each service with its methods', () => {
    expect(Object.keys(loadVectorProto().packageDefinition[VECTOR_SERVICE_NAME]!)).toContain(
      'Upsert',
    );
    expect(Object.keys(clusterServiceDefinition())).toContain('Status');
    expect(Object.keys(healthServiceDefinition())).toContain('Check');
    expect(Object.keys(raftPeerServiceDefinition())).toContain('Deliver');
  });

  it('loads once: every call returns the same definition', () => {
    expect(clusterServiceDefinition()).toBe(clusterServiceDefinition());
    expect(loadVectorProto()).toBe(loadVectorProto());
  });

  it('reflection describes the client API, cluster status and health, not the peer API', () => {
    const names = Object.keys(reflectionPackageDefinition());
    expect(names).toEqual(
      expect.arrayContaining([VECTOR_SERVICE_NAME, CLUSTER_SERVICE_NAME, HEALTH_SERVICE_NAME]),
    );
    expect(names).not.toContain('raftvec.v1.RaftPeer');
  });

  // Longs come back as numbers, also above 2^32 (the runtime compares them as numbers).
  it('the peer API round-trips log positions above 2^32 as numbers', () => {
    const wire = messageToWire({
      from: 'n1',
      to: 'n2',
      term: 7,
      type: 'RequestVote',
      lastLogIndex: 2 ** 40,
      lastLogTerm: 6,
    });
    const deliver = raftPeerServiceDefinition()['Deliver']!;
    const back = deliver.requestDeserialize(deliver.requestSerialize(wire)) as typeof wire;
    expect(back.requestVote?.lastLogIndex).toBe(2 ** 40);
  });
});

describe('metadata keys', () => {
  // Clients already deployed read these exact strings.
  it('are the strings on the wire', () => {
    expect(LEADER_ADDRESS_KEY).toBe('leader-address');
    expect(LEADER_ID_KEY).toBe('leader-id');
  });
});
