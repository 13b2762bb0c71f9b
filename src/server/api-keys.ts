/**
 * Client API keys with roles (`serve --api-keys-file`). A key is a random secret; the
 * file holds only its SHA-256, so neither the file nor a log line can give a key away.
 * Each key has a role:
 *
 * - `read`: Get, Search, Count, Scroll, ListCollections, DescribeCollection; cluster
 *   Status and ListMembers; server reflection.
 * - `write`: everything `read` may, and Upsert, Delete, WriteStream, the payload
 *   updates and UpdateBatch.
 * - `admin`: everything: collections and payload indexes, membership, snapshots,
 *   leadership transfer.
 *
 * A call without a key, or with one the file does not hold, is UNAUTHENTICATED; a key
 * whose role is below the method's is PERMISSION_DENIED. Health stays open (probes carry
 * no key), and so does the Raft peer service, whose calls authenticate with per-node
 * keys derived from the cluster secret (peer-transport.ts). A method this table does
 * not know needs `admin`.
 *
 * Clients send `authorization: Bearer <key>` (the TypeScript client and the CLI do) or
 * `api-key: <key>` (Qdrant's header).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { PEER_KEY_HEADER, authenticatePeer } from '../raft/runtime/peer-transport.js';

/**
 * The role the interceptor verified, for handlers that accept either an admin key or
 * the cluster secret (cluster-service.ts). Whatever a caller sends under this name is
 * dropped first, so only the interceptor sets it.
 */
export const VERIFIED_ROLE_HEADER = 'x-raftvec-verified-role';

export type Role = 'read' | 'write' | 'admin';
const ROLES: readonly Role[] = ['read', 'write', 'admin'];
const rank = (role: Role): number => ROLES.indexOf(role);

/** One key of the file: a name for the operator, its role, the SHA-256 of the key (hex). */
export interface ApiKeyEntry {
  id: string;
  role: Role;
  sha256: string;
}

/** At most this many keys in one file (each call compares against all of them). */
export const MAX_API_KEYS = 1_024;

/** The role each method needs; methods not listed need `admin`. */
const READ_METHODS = [
  '/raftvec.v1.VectorService/Get',
  '/raftvec.v1.VectorService/Search',
  '/raftvec.v1.VectorService/Count',
  '/raftvec.v1.VectorService/Scroll',
  '/raftvec.v1.VectorService/ListCollections',
  '/raftvec.v1.VectorService/DescribeCollection',
  '/raftvec.v1.ClusterService/Status',
  '/raftvec.v1.ClusterService/ListMembers',
];
const WRITE_METHODS = [
  '/raftvec.v1.VectorService/Upsert',
  '/raftvec.v1.VectorService/Delete',
  '/raftvec.v1.VectorService/WriteStream',
  '/raftvec.v1.VectorService/SetPayload',
  '/raftvec.v1.VectorService/OverwritePayload',
  '/raftvec.v1.VectorService/DeletePayloadKeys',
  '/raftvec.v1.VectorService/UpdateBatch',
];
const OPEN_PREFIXES = ['/grpc.health.v1.Health/', '/raftvec.v1.RaftPeer/'];
const REFLECTION_PREFIX = '/grpc.reflection.';

/** The role a method needs, or undefined for a method open to every caller. */
export function requiredRole(path: string): Role | undefined {
  if (OPEN_PREFIXES.some((prefix) => path.startsWith(prefix))) return undefined;
  if (path.startsWith(REFLECTION_PREFIX) || READ_METHODS.includes(path)) return 'read';
  if (WRITE_METHODS.includes(path)) return 'write';
  return 'admin';
}

/** A new random key (32 bytes, base64url) and its file entry. */
export function generateApiKey(id: string, role: Role): { key: string; entry: ApiKeyEntry } {
  const key = `rvk_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { id, role, sha256: sha256Hex(key) } };
}

const sha256 = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
const sha256Hex = (key: string): string => sha256(key).toString('hex');

/** The key a call presents: `authorization: Bearer <key>`, else `api-key`. */
export function presentedKey(metadata: grpc.Metadata): string | undefined {
  const auth = metadata.get('authorization')[0];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const key = metadata.get('api-key')[0];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

export type Verdict =
  { ok: true; role?: Role; keyId?: string } | { ok: false; code: grpc.status; message: string };

/** The API keys a node accepts. */
export class ApiKeys {
  private readonly entries: ReadonlyArray<{ id: string; role: Role; digest: Buffer }>;

  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map((e) => ({
      id: e.id,
      role: e.role,
      digest: Buffer.from(e.sha256, 'hex'),
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * The entry of `key`, comparing its digest with every entry's in constant time (the
   * loop does not stop at a match), or undefined.
   */
  private find(key: string): { id: string; role: Role } | undefined {
    const digest = sha256(key);
    let found: { id: string; role: Role } | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry;
    }
    return found;
  }

  /**
   * Whether a call to `path` with `metadata` may go on. `peerAuthentic` says whether the
   * call carries a member's valid peer credentials (peer-transport.ts).
   */
  check(
    path: string,
    metadata: grpc.Metadata,
    peerAuthentic: (metadata: grpc.Metadata) => boolean = () => false,
  ): Verdict {
    const needed = requiredRole(path);
    if (needed === undefined) return { ok: true };
    // A node's own cluster calls carry its peer key: the admin handlers check it
    // themselves (cluster-service.ts, serve --join); for the read-only ones (a leader
    // polling status for write concern "all") it is checked here.
    if (
      path.startsWith('/raftvec.v1.ClusterService/') &&
      metadata.get(PEER_KEY_HEADER).length > 0 &&
      presentedKey(metadata) === undefined &&
      (needed === 'admin' || peerAuthentic(metadata))
    )
      return { ok: true };
    const key = presentedKey(metadata);
    if (key === undefined) {
      return {
        ok: false,
        code: grpc.status.UNAUTHENTICATED,
        message: `${path} needs an API key: send "authorization: Bearer <key>" (the CLI's --api-key, or RAFTVEC_API_KEY)`,
      };
    }
    const entry = this.find(key);
    if (entry === undefined) {
      return {
        ok: false,
        code: grpc.status.UNAUTHENTICATED,
        message: 'the API key is not one this node accepts (check the key, or the --api-keys-file)',
      };
    }
    if (rank(entry.role) < rank(needed)) {
      return {
        ok: false,
        code: grpc.status.PERMISSION_DENIED,
        message: `${path} needs a key with the ${needed} role; key "${entry.id}" has ${entry.role}`,
      };
    }
    return { ok: true, role: entry.role, keyId: entry.id };
  }
}

/**
 * The server interceptor of every node: drops a caller's own VERIFIED_ROLE_HEADER, and
 * with `keys`, lets through only the calls they admit, marking the verified role.
 */
export function authInterceptor(
  keys: ApiKeys | undefined,
  clusterSecret?: string,
  /** Mutual TLS is on: a peer key counts only with its node's certificate (tls.ts). */
  requirePeerCertificate = false,
): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, proceed) => {
            metadata.remove(VERIFIED_ROLE_HEADER);
            if (keys === undefined) return proceed(metadata);
            const peerAuthentic = (m: grpc.Metadata): boolean =>
              clusterSecret !== undefined &&
              !(
                'refusal' in
                authenticatePeer(
                  m,
                  clusterSecret,
                  requirePeerCertificate ? { authContext: () => call.getAuthContext() } : undefined,
                )
              );
            const verdict = keys.check(method.path, metadata, peerAuthentic);
            if (!verdict.ok)
              return call.sendStatus({ code: verdict.code, details: verdict.message });
            if (verdict.role !== undefined) metadata.set(VERIFIED_ROLE_HEADER, verdict.role);
            proceed(metadata);
          },
        });
      },
    });
}

/** An --api-keys-file that cannot be used. */
export class ApiKeysFileError extends Error {
  constructor(path: string, problem: string) {
    super(`--api-keys-file ${path}: ${problem}`);
    this.name = 'ApiKeysFileError';
  }
}

/**
 * Reads and checks an API keys file: JSON `{"keys": [{"id", "role", "sha256"}, …]}`,
 * ids unique, roles known, each sha256 64 hex digits. Throws ApiKeysFileError saying
 * what is wrong (never echoing a digest).
 */
export async function loadApiKeys(path: string): Promise<ApiKeys> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ApiKeysFileError(path, `cannot read it (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // The parser's own message may quote the file, digests included: only its position.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ApiKeysFileError(
      path,
      `is not valid JSON${at === undefined ? '' : ` (at byte ${at})`}`,
    );
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ApiKeysFileError(
      path,
      'needs {"keys": [{"id": …, "role": …, "sha256": …}, …]} with at least one key',
    );
  if (keys.length > MAX_API_KEYS)
    throw new ApiKeysFileError(path, `holds ${keys.length} keys; the limit is ${MAX_API_KEYS}`);
  const ids = new Set<string>();
  const entries = keys.map((k: unknown, i): ApiKeyEntry => {
    const e = (k ?? {}) as Record<string, unknown>;
    const where = `key ${i}`;
    if (typeof e.id !== 'string' || e.id === '' || e.id.length > 128)
      throw new ApiKeysFileError(path, `${where}: id must be a name of 1 to 128 characters`);
    if (ids.has(e.id)) throw new ApiKeysFileError(path, `${where}: id "${e.id}" is used twice`);
    ids.add(e.id);
    if (!ROLES.includes(e.role as Role))
      throw new ApiKeysFileError(path, `${where} ("${e.id}"): role must be read, write or admin`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(e.sha256))
      throw new ApiKeysFileError(
        path,
        `${where} ("${e.id}"): sha256 must be the 64 hex digits of the key's SHA-256 (raftvec keys generate prints it)`,
      );
    return { id: e.id, role: e.role as Role, sha256: e.sha256.toLowerCase() };
  });
  return new ApiKeys(entries);
}
