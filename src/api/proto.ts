/**
 * The one place raftvec loads .proto files at runtime, with the one set of
 * proto-loader options that scripts/gen-proto.mjs generates src/generated/ with, so
 * the generated types describe what server, client and peers actually get.
 * Each loader loads once and caches.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { protoDir } from '../package-root.js';
import type { ProtoGrpcType } from '../generated/vector.js';

/**
 * Must match the flags in scripts/gen-proto.mjs. Longs as numbers: log indices,
 * counts and sequences stay below 2^53 (peers check it on receipt).
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const VECTOR_SERVICE_NAME = 'raftvec.v1.VectorService';
export const CLUSTER_SERVICE_NAME = 'raftvec.v1.ClusterService';
export const RAFT_PEER_SERVICE_NAME = 'raftvec.v1.RaftPeer';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** Calls `load` the first time, then returns its result. */
function cached<T>(load: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: load() }).v;
}

/** Files under proto/raftvec/v1/, loaded together (their imports resolve from proto/). */
function loadRaftvecFiles(files: readonly string[]): protoLoader.PackageDefinition {
  return protoLoader.loadSync(
    files.map((file) => join('raftvec', 'v1', file)),
    { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir()] },
  );
}

/** The service `name` of `definition`; throws if the loaded files do not define it. */
function serviceIn(
  definition: protoLoader.PackageDefinition,
  name: string,
  file: string,
): grpc.ServiceDefinition {
  const service = definition[name];
  // Messages and enums carry a `format`; services are maps of methods.
  if (service === undefined || 'format' in service)
    throw new Error(`${file} does not define the service ${name}`);
  return service as grpc.ServiceDefinition;
}

const vectorProto = cached(() => {
  const packageDefinition = loadRaftvecFiles(['vector.proto']);
  const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  return { packageDefinition, proto };
});

/** The client API (vector.proto): its package definition and typed gRPC object. */
export function loadVectorProto(): {
  packageDefinition: protoLoader.PackageDefinition;
  proto: ProtoGrpcType;
} {
  return vectorProto();
}

/** `raftvec.v1.ClusterService` (cluster.proto): node status, for `raftvec status` and write concern `all`. */
export const clusterServiceDefinition: () => grpc.ServiceDefinition = cached(() =>
  serviceIn(loadRaftvecFiles(['cluster.proto']), CLUSTER_SERVICE_NAME, 'cluster.proto'),
);

/**
 * `raftvec.v1.RaftPeer` (raft.proto), the peer API between Raft nodes. Longs come as
 * numbers, enums as strings, oneofs named (src/raft/runtime/message-codec.ts reads
 * `body`), which PROTO_LOADER_OPTIONS already says.
 */
export const raftPeerServiceDefinition: () => grpc.ServiceDefinition = cached(() =>
  serviceIn(loadRaftvecFiles(['raft.proto']), RAFT_PEER_SERVICE_NAME, 'raft.proto'),
);

const healthDefinition = cached(() => protoLoader.loadSync(healthProtoPath, PROTO_LOADER_OPTIONS));

/** `grpc.health.v1.Health`, as the grpc-health-check package ships it. */
export const healthServiceDefinition: () => grpc.ServiceDefinition = cached(() =>
  serviceIn(healthDefinition(), HEALTH_SERVICE_NAME, healthProtoPath),
);

/**
 * What server reflection describes: the client API, cluster status and health.
 * vector.proto and cluster.proto are loaded together because proto-loader names its
 * descriptors by package, so separately loaded files of raftvec.v1 would hide each
 * other from reflection. The peer API is left out: it is not for clients.
 */
export const reflectionPackageDefinition: () => protoLoader.PackageDefinition = cached(() => ({
  ...loadRaftvecFiles(['vector.proto', 'cluster.proto']),
  ...healthDefinition(),
}));
