/**
 * A small grpc.health.v1 client: is a node up and serving?
 */
import * as grpc from '@grpc/grpc-js';
import { healthServiceDefinition } from '../api/proto.js';
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
  // The same constructor grpc.loadPackageDefinition would build for the service.
  ctor ??= grpc.makeGenericClientConstructor(
    healthServiceDefinition(),
    'Health',
  ) as unknown as HealthClientCtor;
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
  /** TLS (client/tls.ts `channelCredentials`); default plaintext. */
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<ServingStatus> {
  const Ctor = healthClientCtor();
  const client = new Ctor(address, credentials);
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
