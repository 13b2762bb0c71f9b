/**
 * A small grpc.health.v1 client: is a node up and serving?
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { RaftvecClientError } from './errors.js';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthClient extends grpc.Client {
  check(
    req: { service: string },
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: { status: ServingStatus }) => void,
  ): grpc.ClientUnaryCall;
}
type HealthClientCtor = new (address: string, creds: grpc.ChannelCredentials) => HealthClient;

let ctor: HealthClientCtor | undefined;
function healthClientCtor(): HealthClientCtor {
  if (!ctor) {
    const def = protoLoader.loadSync(healthProtoPath, {
      keepCase: true,
      enums: String,
      defaults: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { health: { v1: { Health: HealthClientCtor } } };
    };
    ctor = pkg.grpc.health.v1.Health;
  }
  return ctor;
}

/**
 * The health of `service` ("" = the whole node) at `address`. Rejects with a
 * RaftvecClientError if the node cannot be reached before the deadline.
 */
export async function checkHealth(
  address: string,
  service = '',
  deadlineMs = 2_000,
): Promise<ServingStatus> {
  const Ctor = healthClientCtor();
  const client = new Ctor(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<ServingStatus>((resolve, reject) => {
      client.check({ service }, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => {
        if (err) reject(RaftvecClientError.fromServiceError('Health.Check', err));
        else resolve(res?.status ?? 'UNKNOWN');
      });
    });
  } finally {
    client.close();
  }
}
