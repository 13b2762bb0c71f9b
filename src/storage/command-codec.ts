/**
 * Encodes the state machine's commands as Raft log-entry payloads
 * (`raftvec.v1.LogCommand`, proto/raftvec/v1/command.proto) and back.
 *
 * - A `noop` is the empty LogCommand (zero bytes): no `command` oneof set.
 * - Vectors travel as raw little-endian float32 bytes, so a round trip is
 *   bit-exact (including -0 and NaN payloads).
 * - Metadata travels as JSON text.
 * - A session is carried as (client_id, sequence); an empty client_id means none.
 *
 * Decoding bytes that are not a well-formed LogCommand throws a
 * CommandDecodeError: committed log entries are written only by encodeCommand,
 * so garbage here means a bug or a hostile peer, never a user mistake; the
 * state machine records such an entry as rejected (apply is total).
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import type {
  BatchOperation,
  ClientSession,
  Command,
  Filter,
  Metadata,
  Metric,
  PayloadIndexType,
  PayloadUpdate,
  Point,
  PointSelector,
  WriteStamp,
} from '../domain.js';
import { RaftvecError } from '../errors.js';
import { protoDir } from '../package-root.js';
import { f32LEBytesNow, readF32LEInto } from '../f32.js';

const root = protobuf.loadSync(join(protoDir(), 'raftvec/v1/command.proto'));
const LogCommandType = root.lookupType('raftvec.v1.LogCommand');

interface LongLike {
  toNumber(): number;
  toString(): string;
}

interface DecodedPointRecord {
  id?: string;
  vectorF32?: Uint8Array;
  metadataJson?: string;
}

interface DecodedLogCommand {
  clientId?: string;
  sequence?: number | LongLike;
  leaderTimeMs?: number | LongLike;
  command?:
    | 'createCollection'
    | 'dropCollection'
    | 'upsert'
    | 'delete'
    | 'deleteByFilter'
    | 'updatePayload'
    | 'createPayloadIndex'
    | 'dropPayloadIndex'
    | 'batch';
  createCollection?: {
    name?: string;
    dimension?: number;
    metric?: string;
    indexSpec?: string;
    efSearch?: number;
  };
  dropCollection?: { name?: string };
  upsert?: { collection?: string; points?: DecodedPointRecord[] };
  delete?: { collection?: string; ids?: string[] };
  deleteByFilter?: { collection?: string; filterJson?: string };
  updatePayload?: {
    collection?: string;
    ids?: string[];
    filterJson?: string;
    op?: string;
    payloadJson?: string;
    keys?: string[];
  };
  createPayloadIndex?: { collection?: string; key?: string; type?: string };
  dropPayloadIndex?: { collection?: string; key?: string };
  batch?: { collection?: string; operations?: DecodedOperation[] };
}

type DecodedUpdate = NonNullable<DecodedLogCommand['updatePayload']>;

interface DecodedOperation {
  operation?: 'upsert' | 'delete' | 'deleteByFilter' | 'updatePayload';
  upsert?: { points?: DecodedPointRecord[] };
  delete?: { ids?: string[] };
  deleteByFilter?: { filterJson?: string };
  updatePayload?: DecodedUpdate;
}

function stampFields(stamp: WriteStamp): {
  clientId?: string;
  sequence?: number;
  leaderTimeMs?: number;
} {
  const time = stamp.leaderTimeMs;
  if (time !== undefined && (!Number.isSafeInteger(time) || time < 0)) {
    throw new RaftvecError(
      'INTERNAL',
      `leaderTimeMs must be a non-negative integer below 2^53, got ${time}`,
    );
  }
  return { ...sessionFields(stamp.session), ...(time !== undefined && { leaderTimeMs: time }) };
}

function sessionFields(session: ClientSession | undefined): {
  clientId?: string;
  sequence?: number;
} {
  if (!session) return {};
  if (session.clientId === '') {
    throw new RaftvecError('INVALID_ARGUMENT', 'a session needs a non-empty clientId');
  }
  if (!Number.isSafeInteger(session.sequence) || session.sequence < 0) {
    throw new RaftvecError(
      'INVALID_ARGUMENT',
      `session sequence must be a non-negative integer below 2^53, got ${session.sequence}`,
    );
  }
  return { clientId: session.clientId, sequence: session.sequence };
}

function upsertBody(collection: string, points: readonly Point[]): Record<string, unknown> {
  return {
    collection,
    points: points.map((p) => ({
      id: p.id,
      vectorF32: f32LEBytesNow(p.vector),
      metadataJson: JSON.stringify(p.metadata),
    })),
  };
}

function updateBody(
  collection: string,
  points: PointSelector,
  update: PayloadUpdate,
): Record<string, unknown> {
  return {
    collection,
    ...('ids' in points ? { ids: points.ids } : { filterJson: JSON.stringify(points.filter) }),
    op: update.op,
    ...(update.op === 'deleteKeys'
      ? { keys: update.keys }
      : { payloadJson: JSON.stringify(update.payload) }),
  };
}

/** One operation of a batch, its collection left to the batch. */
function operationRecord(op: BatchOperation): Record<string, unknown> {
  switch (op.kind) {
    case 'upsert':
      return { upsert: upsertBody('', op.points) };
    case 'delete':
      return { delete: { ids: op.ids } };
    case 'deleteByFilter':
      return { deleteByFilter: { filterJson: JSON.stringify(op.filter) } };
    case 'updatePayload':
      return { updatePayload: updateBody('', op.points, op.update) };
  }
}

/** Encodes a command as the payload of a Raft log entry. */
export function encodeCommand(cmd: Command): Uint8Array {
  let message: Record<string, unknown>;
  switch (cmd.kind) {
    case 'noop':
      return new Uint8Array(0);
    case 'createCollection':
      message = {
        ...stampFields(cmd),
        createCollection: {
          name: cmd.spec.name,
          dimension: cmd.spec.dimension,
          metric: cmd.spec.metric,
          indexSpec: cmd.spec.indexSpec,
          efSearch: cmd.spec.efSearch ?? 0,
        },
      };
      break;
    case 'dropCollection':
      message = { ...stampFields(cmd), dropCollection: { name: cmd.name } };
      break;
    case 'upsert':
      message = { ...stampFields(cmd), upsert: upsertBody(cmd.collection, cmd.points) };
      break;
    case 'delete':
      message = {
        ...stampFields(cmd),
        delete: { collection: cmd.collection, ids: cmd.ids },
      };
      break;
    case 'deleteByFilter':
      message = {
        ...stampFields(cmd),
        deleteByFilter: { collection: cmd.collection, filterJson: JSON.stringify(cmd.filter) },
      };
      break;
    case 'updatePayload':
      message = {
        ...stampFields(cmd),
        updatePayload: updateBody(cmd.collection, cmd.points, cmd.update),
      };
      break;
    case 'batch':
      message = {
        ...stampFields(cmd),
        batch: { collection: cmd.collection, operations: cmd.operations.map(operationRecord) },
      };
      break;
    case 'createPayloadIndex':
      message = {
        ...stampFields(cmd),
        createPayloadIndex: {
          collection: cmd.collection,
          key: cmd.index.key,
          type: cmd.index.type,
        },
      };
      break;
    case 'dropPayloadIndex':
      message = {
        ...stampFields(cmd),
        dropPayloadIndex: { collection: cmd.collection, key: cmd.key },
      };
      break;
    default: {
      const never: never = cmd;
      throw new RaftvecError('INTERNAL', `cannot encode unknown command ${JSON.stringify(never)}`);
    }
  }
  return LogCommandType.encode(LogCommandType.fromObject(message)).finish();
}

/**
 * A log entry's payload is not a command this build can apply. Decoding is a pure
 * function of the bytes, so every replica fails the same way on the same entry:
 * the state machine records the entry as rejected instead of stopping.
 */
export class CommandDecodeError extends RaftvecError {
  constructor(what: string) {
    super('INTERNAL', `cannot decode log command: ${what}`);
    this.name = 'CommandDecodeError';
  }
}

const corrupt = (what: string): CommandDecodeError => new CommandDecodeError(what);

function toSafeNumber(value: number | LongLike | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const n = value.toNumber();
  if (!Number.isSafeInteger(n)) throw corrupt(`number ${value.toString()} exceeds 2^53`);
  return n;
}

function decodeMetadata(json: string | undefined, pointIndex: number): Metadata {
  if (json === undefined || json === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw corrupt(`point ${pointIndex}: metadata is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw corrupt(`point ${pointIndex}: metadata is not a JSON object`);
  }
  return parsed as Metadata;
}

/** A filter carried as JSON; its content is validated by apply, like every input. */
function decodeFilter(json: string | undefined, what: string): Filter {
  try {
    return JSON.parse(json ?? '') as Filter;
  } catch (err) {
    throw corrupt(`${what}: the filter is not valid JSON (${(err as Error).message})`);
  }
}

function decodePayloadUpdate(u: DecodedUpdate): PayloadUpdate {
  switch (u.op) {
    case 'set':
    case 'overwrite':
      return { op: u.op, payload: decodeMetadata(u.payloadJson, 0) };
    case 'deleteKeys':
      return { op: 'deleteKeys', keys: [...(u.keys ?? [])] };
    default:
      throw corrupt(
        `payload update op ${JSON.stringify(u.op)} is not set, overwrite or deleteKeys`,
      );
  }
}

function decodeUpdate(u: DecodedUpdate): { points: PointSelector; update: PayloadUpdate } {
  const points: PointSelector =
    u.filterJson !== undefined && u.filterJson !== ''
      ? { filter: decodeFilter(u.filterJson, 'payload update') }
      : { ids: [...(u.ids ?? [])] };
  return { points, update: decodePayloadUpdate(u) };
}

function decodeOperation(op: DecodedOperation, i: number): BatchOperation {
  switch (op.operation) {
    case 'upsert':
      return { kind: 'upsert', points: decodePoints(op.upsert?.points ?? []) };
    case 'delete':
      return { kind: 'delete', ids: [...(op.delete?.ids ?? [])] };
    case 'deleteByFilter':
      return {
        kind: 'deleteByFilter',
        filter: decodeFilter(op.deleteByFilter?.filterJson, `batch operation ${i}`),
      };
    case 'updatePayload':
      return { kind: 'updatePayload', ...decodeUpdate(op.updatePayload ?? {}) };
    default:
      throw corrupt(`batch operation ${i} is not a known operation`);
  }
}

/**
 * An upsert's points. Their vectors are views into one array decoded for the whole
 * entry: one allocation per entry rather than one per point (a thousand small
 * buffers per batch would leave the allocator fragmented).
 */
function decodePoints(records: readonly DecodedPointRecord[]): Point[] {
  let floats = 0;
  records.forEach((p, index) => {
    const length = p.vectorF32?.length ?? 0;
    if (length % 4 !== 0)
      throw corrupt(`point ${index}: vector has ${length} bytes, not a multiple of 4`);
    floats += length / 4;
  });
  const all = new Float32Array(floats);
  let at = 0;
  return records.map((p, index) => {
    const bytes = p.vectorF32 ?? new Uint8Array(0);
    const count = bytes.length / 4;
    readF32LEInto(bytes, 0, all, at, count);
    const vector = all.subarray(at, at + count);
    at += count;
    return { id: p.id ?? '', vector, metadata: decodeMetadata(p.metadataJson, index) };
  });
}

/** Decodes a Raft log-entry payload written by {@link encodeCommand}. */
export function decodeCommand(bytes: Uint8Array): Command {
  let m: DecodedLogCommand;
  try {
    m = LogCommandType.decode(bytes) as unknown as DecodedLogCommand;
  } catch (err) {
    throw corrupt(
      `${bytes.length} bytes are not a raftvec.v1.LogCommand (${(err as Error).message})`,
    );
  }
  const clientId = m.clientId ?? '';
  const session: ClientSession | undefined =
    clientId === '' ? undefined : { clientId, sequence: toSafeNumber(m.sequence) };
  const leaderTimeMs = toSafeNumber(m.leaderTimeMs);
  // Fields set on the command itself: spreading it into a new object cost 3-4% of apply.
  const withSession = <T extends object>(c: T): T & WriteStamp => {
    const stamped = c as T & WriteStamp;
    if (session) stamped.session = session;
    if (leaderTimeMs > 0) stamped.leaderTimeMs = leaderTimeMs;
    return stamped;
  };

  switch (m.command) {
    case undefined:
      // The noop is exactly the empty payload; anything else without a command is
      // garbage (or a command kind from a newer version) and must not pass as a noop.
      if (bytes.length !== 0) throw corrupt(`${bytes.length} bytes carry no known command`);
      return { kind: 'noop' };
    case 'createCollection': {
      const c = m.createCollection ?? {};
      return withSession({
        kind: 'createCollection' as const,
        spec: {
          name: c.name ?? '',
          dimension: c.dimension ?? 0,
          // Not checked here: the state machine validates the spec deterministically.
          metric: (c.metric ?? '') as Metric,
          indexSpec: c.indexSpec ?? '',
          ...(c.efSearch ? { efSearch: c.efSearch } : {}),
        },
      });
    }
    case 'dropCollection':
      return withSession({ kind: 'dropCollection' as const, name: m.dropCollection?.name ?? '' });
    case 'upsert': {
      const u = m.upsert ?? {};
      return withSession({
        kind: 'upsert' as const,
        collection: u.collection ?? '',
        points: decodePoints(u.points ?? []),
      });
    }
    case 'delete':
      return withSession({
        kind: 'delete' as const,
        collection: m.delete?.collection ?? '',
        ids: [...(m.delete?.ids ?? [])],
      });
    case 'deleteByFilter':
      return withSession({
        kind: 'deleteByFilter' as const,
        collection: m.deleteByFilter?.collection ?? '',
        filter: decodeFilter(m.deleteByFilter?.filterJson, 'delete by filter'),
      });
    case 'updatePayload': {
      const u = m.updatePayload ?? {};
      return withSession({
        kind: 'updatePayload' as const,
        collection: u.collection ?? '',
        ...decodeUpdate(u),
      });
    }
    case 'batch':
      return withSession({
        kind: 'batch' as const,
        collection: m.batch?.collection ?? '',
        operations: (m.batch?.operations ?? []).map(decodeOperation),
      });
    case 'createPayloadIndex': {
      const c = m.createPayloadIndex ?? {};
      return withSession({
        kind: 'createPayloadIndex' as const,
        collection: c.collection ?? '',
        // Not checked here: apply validates the type.
        index: { key: c.key ?? '', type: (c.type ?? '') as PayloadIndexType },
      });
    }
    case 'dropPayloadIndex':
      return withSession({
        kind: 'dropPayloadIndex' as const,
        collection: m.dropPayloadIndex?.collection ?? '',
        key: m.dropPayloadIndex?.key ?? '',
      });
    default:
      throw corrupt(`unknown command ${String(m.command)}`);
  }
}
