/**
 * The state machine's LevelDB, with a checksum on every record: each value is
 * stored as CRC-32(key ‖ value) followed by the value, so a flipped byte in a
 * value, a value moved under another key, or a truncated value is caught when the
 * record is read back (TigerBeetle's pair assertions: checked right before it
 * goes to disk and right after it comes back). LevelDB's own block checksums
 * catch damage to its files; this catches what they cannot see (a record that
 * decodes as a valid but wrong record).
 *
 * Every read goes through here; nothing else touches the LevelDB handle.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Level } from 'level';
import { slabBytes } from './byte-slab.js';
import { RaftvecError } from '../errors.js';

type Bytes = Uint8Array;
export type CheckedOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };
export interface KeyRange {
  gt?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  lte?: Bytes;
}

/**
 * Whether LevelDB checks its own checksums here (paranoid recovery, verified
 * reads): true when classic-level runs the binding that
 * native/leveldb-checked.mjs built, false with the prebuilt one (which skips a
 * damaged log block silently). The node warns at start when it is false.
 */
export function levelChecksumsVerified(): boolean {
  const packageDir = dirname(createRequire(import.meta.url).resolve('classic-level/package.json'));
  const release = join(packageDir, 'build', 'Release');
  return (
    existsSync(join(release, 'classic_level.node')) &&
    existsSync(join(release, 'raftvec-checked.json'))
  );
}

/** A record of the state store failed its checksum: the node must not serve from it. */
export class StateCorruptionError extends RaftvecError {
  constructor(
    readonly store: string,
    readonly key: string,
    detail: string,
  ) {
    super(
      'INTERNAL',
      `the state store at ${store} is corrupted: record ${key} ${detail}; the node stops serving from it (restart it to rebuild the state from the Raft log)`,
    );
    this.name = 'StateCorruptionError';
  }
}

/** A key for messages: its ASCII tag, then printable bytes as text and the rest as hex. */
export function describeKey(key: Bytes): string {
  const printable = key.every((b) => b >= 0x20 && b < 0x7f);
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return printable ? JSON.stringify(text.toString('latin1')) : `0x${text.toString('hex')}`;
}

function checksum(key: Bytes, value: Bytes): number {
  return crc32(value, crc32(key));
}

export function sealRecord(key: Bytes, value: Bytes): Bytes {
  const out = slabBytes(4 + value.length);
  const sum = checksum(key, value);
  // Big-endian, byte by byte: a DataView per record cost as much as the copy.
  out[0] = sum >>> 24;
  out[1] = (sum >>> 16) & 0xff;
  out[2] = (sum >>> 8) & 0xff;
  out[3] = sum & 0xff;
  out.set(value, 4);
  return out;
}

/** LevelDB reports damage to its own files (block checksums, paranoid recovery) this way. */
function isLevelCorruption(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const text = `${String(e?.message ?? '')} ${String(e?.cause?.message ?? '')}`;
  return e?.code === 'LEVEL_CORRUPTION' || /corrupt|checksum mismatch/i.test(text);
}

/**
 * Scans read up to 1,000 entries or 1 MiB per trip to LevelDB's thread (the library's
 * default of 16 KiB is a few dozen point records): loading a collection is a scan.
 */
const SCAN = { highWaterMarkBytes: 1 << 20 } as const;
const SCAN_ENTRIES = 1_000;

/** An iterator's entries in batches (nextv), closed when done or abandoned. */
async function* inBatches<T>(iterator: {
  nextv(size: number): Promise<T[]>;
  close(): Promise<void>;
}): AsyncGenerator<T[]> {
  try {
    for (;;) {
      const batch = await iterator.nextv(SCAN_ENTRIES);
      if (batch.length === 0) return;
      yield batch;
    }
  } finally {
    await iterator.close();
  }
}

/**
 * LevelDB's memtable size (its default is 4 MiB). Point records are keyed by id, in no
 * order, so every flushed table overlaps the whole next level and compactions rewrite
 * it; four times fewer flushes cut the server's CPU per 1000-point batch of a bulk load
 * from 29–30 to 25–26 ms (`npm run bench -- ingest`, alternate runs). At most two
 * memtables (one being flushed) are held: 64 MiB of memory at worst. RocksDB's
 * default is 64 MiB.
 */
const WRITE_BUFFER_BYTES = 32 * 1024 * 1024;

/** A key past every stored key (all start with an ASCII tag): a range of it holds nothing. */
const NO_KEYS = new Uint8Array([0xff, 0xff, 0xff, 0xff]);

export class CheckedStore {
  private constructor(
    private readonly db: Level<Bytes, Bytes>,
    /** Where the store lives, for messages. */
    readonly location: string,
  ) {}

  static async open(location: string): Promise<CheckedStore> {
    const db = new Level<Bytes, Bytes>(location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      writeBufferSize: WRITE_BUFFER_BYTES,
    });
    try {
      await db.open();
    } catch (err) {
      if (isLevelCorruption(err))
        throw new StateCorruptionError(location, '(LevelDB file)', `is damaged: ${causeOf(err)}`);
      throw err;
    }
    return new CheckedStore(db, location);
  }

  /** The value under `key`, checked; undefined if absent. */
  async get(key: Bytes): Promise<Bytes | undefined> {
    const sealed = await this.guard(key, () => this.db.get(key));
    return sealed === undefined ? undefined : this.unseal(key, sealed);
  }

  /**
   * The raw stored bytes under `key`, seal included, unchecked: only for reading
   * the layout version, which older layouts stored without a seal.
   */
  async getUnchecked(key: Bytes): Promise<Bytes | undefined> {
    return this.guard(key, () => this.db.get(key));
  }

  async getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    const sealed = await this.guard(keys[0], () => this.db.getMany(keys));
    return sealed.map((v, i) => (v === undefined ? undefined : this.unseal(keys[i]!, v)));
  }

  /** Every (key, value) in the range, in key order, each value checked. */
  async *entries(range: KeyRange): AsyncGenerator<[Bytes, Bytes]> {
    try {
      for await (const batch of inBatches(this.db.iterator({ ...range, ...SCAN }))) {
        for (const [key, sealed] of batch) yield [key, this.unseal(key, sealed)];
      }
    } catch (err) {
      if (err instanceof StateCorruptionError || !isLevelCorruption(err)) throw err;
      throw new StateCorruptionError(this.location, '(range scan)', `is damaged: ${causeOf(err)}`);
    }
  }

  /**
   * Every record as stored (value still sealed), read from a LevelDB snapshot taken
   * now, synchronously: writes after this call are not seen, however long the
   * iteration takes. Each value is checked as it is read. For state snapshots.
   */
  sealedRecords(): AsyncIterable<[Bytes, Bytes]> {
    const iterator = this.db.iterator(SCAN);
    const unseal = (key: Bytes, value: Bytes): void => {
      this.unseal(key, value);
    };
    return {
      async *[Symbol.asyncIterator]() {
        for await (const batch of inBatches(iterator)) {
          for (const [key, sealed] of batch) {
            unseal(key, sealed);
            yield [key, sealed];
          }
        }
      },
    };
  }

  /** Writes records that are already sealed (from a snapshot), checking each first. */
  async importSealed(records: ReadonlyArray<[Bytes, Bytes]>, sync: boolean): Promise<void> {
    for (const [key, sealed] of records) this.unseal(key, sealed);
    await this.write(
      records.map(([key, value]) => ({ type: 'put' as const, key, value })),
      sync,
    );
  }

  /** Just the keys of a range (no value to check). */
  async *keys(range: KeyRange): AsyncGenerator<Bytes> {
    for await (const batch of inBatches(this.db.keys({ ...range, ...SCAN }))) yield* batch;
  }

  /** One atomic batch; every put is sealed, then checked again before it is handed to LevelDB. */
  async batch(ops: readonly CheckedOp[], sync: boolean): Promise<void> {
    const sealed = ops.map((op) => {
      if (op.type === 'del') return op;
      const value = sealRecord(op.key, op.value);
      this.unseal(op.key, value);
      return { type: 'put' as const, key: op.key, value };
    });
    await this.write(sealed, sync);
  }

  /**
   * One atomic LevelDB write, as a chained batch: the array form costs a property
   * lookup per field of every operation in native code, and abstract-level merges
   * its options into every operation; for a batch of a thousand points the chained
   * form spends about half the main-thread time.
   */
  private async write(ops: ReadonlyArray<CheckedOp>, sync: boolean): Promise<void> {
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await (sync ? batch.write({ sync: true }) : batch.write());
  }

  /**
   * Makes every write made so far durable in LevelDB's table files. A synced write
   * syncs only the current log file: when a memtable fills, LevelDB starts a new log
   * without syncing the old one, whose writes stay unsynced until that memtable is
   * written to a (synced) table. Compacting a range flushes the memtable first and
   * waits for it; the range here holds no key (every key starts with an ASCII tag), so
   * nothing else is compacted.
   */
  async flushToTables(): Promise<void> {
    // `level` is classic-level under Node, whose compactRange its types leave out.
    const db = this.db as unknown as Partial<{
      compactRange(start: Bytes, end: Bytes): Promise<void>;
    }>;
    if (typeof db.compactRange !== 'function')
      throw new Error('this LevelDB binding cannot compact a range (classic-level expected)');
    await this.guard(undefined, () => db.compactRange!(NO_KEYS, NO_KEYS));
  }

  async clear(range: KeyRange): Promise<void> {
    await this.db.clear(range);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private unseal(key: Bytes, sealed: Bytes): Bytes {
    if (sealed.length < 4)
      throw new StateCorruptionError(
        this.location,
        describeKey(key),
        `is truncated (${sealed.length} bytes)`,
      );
    const value = sealed.subarray(4);
    const stored = sealed[0]! * 0x1000000 + ((sealed[1]! << 16) | (sealed[2]! << 8) | sealed[3]!);
    if (stored !== checksum(key, value))
      throw new StateCorruptionError(this.location, describeKey(key), 'fails its checksum');
    return value;
  }

  private async guard<T>(key: Bytes | undefined, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!isLevelCorruption(err)) throw err;
      throw new StateCorruptionError(
        this.location,
        key === undefined ? '(unknown)' : describeKey(key),
        `cannot be read: ${causeOf(err)}`,
      );
    }
  }
}

function causeOf(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  return String(e?.cause?.message ?? e?.message ?? err);
}
