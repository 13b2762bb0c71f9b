/**
 * One attempt of one call to one named node, with its outcome classified the way
 * the checkers need it:
 *
 *   ok    the node answered
 *   fail  provably not applied: the node refused the request as invalid or over a
 *         limit, said it is not the leader, or no connection was ever established
 *   info  anything else (a deadline, a cut connection, a node stopping): the write
 *         may or may not take effect, now or later
 *
 * No retries and no leader-following here: the workloads decide what to do next.
 */
import * as grpc from '@grpc/grpc-js';
import { loadVectorProto } from '../src/api/proto.js';
import { LEADER_ID_KEY, NOT_LEADER_KEY, NOT_PROPOSED_KEY } from '../src/api/metadata-keys.js';
import { limits } from '../src/limits.js';
import type { VectorServiceClient } from '../src/generated/raftvec/v1/VectorService.js';
import type { VectorRpcs } from '../src/client/transport.js';

/** The calls the workloads make, with the client SDK's request and response types. */
type Calls = Pick<
  VectorRpcs,
  'Upsert' | 'Delete' | 'Get' | 'Search' | 'Count' | 'Scroll' | 'CreateCollection'
>;
export type CallName = keyof Calls;
export type CallRequest<M extends CallName> = Calls[M][0];
export type CallResponse<M extends CallName> = Calls[M][1];

export type Outcome<T> =
  | { type: 'ok'; value: T }
  | {
      type: 'fail' | 'info';
      /** The gRPC status name and message, for the history. */
      error: string;
      /** The leader the refusing node named, if it named one. */
      leaderHint?: string;
      /** The server refused a session write as older than the session's last one. */
      staleSequence?: boolean;
    };

/**
 * Status codes by which the server refuses a request before proposing it, or answers
 * an applied command that changed nothing (the same for the data). RESOURCE_EXHAUSTED
 * is not among them: grpc-js makes it too (a stream reset ENHANCE_YOUR_CALM, a
 * response over the size limit), after the write may have been proposed; the server
 * marks its own refusals with the not-proposed key.
 */
const REFUSED_BEFORE_PROPOSING = new Set<grpc.status>([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.OUT_OF_RANGE,
]);

/** grpc-js's message when a call failed because no transport to the node ever came up. */
const NEVER_CONNECTED = /^No connection established/;

/** Whether a failed call provably had no effect, and which leader the node named. */
export function classifyError(error: grpc.ServiceError): Outcome<never> {
  const text = `${grpc.status[error.code]}: ${error.details}`;
  const leaderHint = error.metadata?.get(LEADER_ID_KEY)[0]?.toString() || undefined;
  const notLeader = (error.metadata?.get(NOT_LEADER_KEY).length ?? 0) > 0;
  const notProposed = (error.metadata?.get(NOT_PROPOSED_KEY).length ?? 0) > 0;
  const refused =
    REFUSED_BEFORE_PROPOSING.has(error.code) ||
    (error.code === grpc.status.RESOURCE_EXHAUSTED && notProposed) ||
    (error.code === grpc.status.UNAVAILABLE && (notLeader || NEVER_CONNECTED.test(error.details)));
  const staleSequence =
    error.code === grpc.status.FAILED_PRECONDITION && /sent sequence \d+/.test(error.details);
  return {
    type: refused ? 'fail' : 'info',
    error: text,
    ...(leaderHint && { leaderHint }),
    ...(staleSequence && { staleSequence }),
  };
}

export class NodeClients {
  readonly #clients = new Map<string, VectorServiceClient>();

  constructor(private readonly addresses: ReadonlyMap<string, string>) {}

  #client(node: string): VectorServiceClient {
    let client = this.#clients.get(node);
    if (client === undefined) {
      const address = this.addresses.get(node);
      if (address === undefined) throw new RangeError(`no node ${node}`);
      const { proto } = loadVectorProto();
      client = new proto.raftvec.v1.VectorService(address, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': limits.maxMessageBytes,
        'grpc.max_send_message_length': limits.maxMessageBytes,
        // Reconnect quickly after a node restarts: the default backoff grows to minutes.
        'grpc.initial_reconnect_backoff_ms': 50,
        'grpc.max_reconnect_backoff_ms': 250,
        'grpc.enable_channelz': 0,
      });
      this.#clients.set(node, client);
    }
    return client;
  }

  call<M extends CallName>(
    node: string,
    method: M,
    request: Calls[M][0],
    deadlineMs: number,
  ): Promise<Outcome<Calls[M][1]>> {
    const client = this.#client(node) as unknown as Record<
      string,
      (
        request: Calls[M][0],
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, value?: Calls[M][1]) => void,
      ) => void
    >;
    return new Promise((resolve) => {
      client[method]!.call(
        client,
        request,
        { deadline: Date.now() + deadlineMs },
        (error, value) => {
          if (error) resolve(classifyError(error));
          else if (value === undefined)
            resolve({ type: 'info', error: 'INTERNAL: the call returned no answer' });
          else resolve({ type: 'ok', value });
        },
      );
    });
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
