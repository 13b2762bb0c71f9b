/**
 * Loads the client API (proto/raftvec/v1/vector.proto) at runtime with the same
 * options that scripts/gen-proto.mjs generates the types in src/generated/ with.
 * Shared by the client SDK and the server.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../package-root.js';
import type { ProtoGrpcType } from '../generated/vector.js';

/** Must match the flags in scripts/gen-proto.mjs. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const VECTOR_SERVICE_NAME = 'raftvec.v1.VectorService';

let cached: { packageDefinition: protoLoader.PackageDefinition; proto: ProtoGrpcType } | undefined;

/** The loaded vector.proto package definition and its typed gRPC object (cached). */
export function loadVectorProto(): {
  packageDefinition: protoLoader.PackageDefinition;
  proto: ProtoGrpcType;
} {
  if (!cached) {
    const packageDefinition = protoLoader.loadSync(join('raftvec', 'v1', 'vector.proto'), {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoDir()],
    });
    const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
    cached = { packageDefinition, proto };
  }
  return cached;
}
