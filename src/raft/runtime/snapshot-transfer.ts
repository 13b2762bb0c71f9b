/**
 * InstallSnapshot over the peer API (RaftPeer.InstallSnapshot, raft.proto): a
 * leader streams a snapshot folder to a follower, file by file in chunks, under
 * gRPC's flow control; the follower writes each chunk straight to disk, checks
 * every chunk's CRC-32 and every file's size and SHA-256 against the snapshot's
 * meta, and hands the folder to the runtime, which installs it. Neither side holds
 * more than a chunk in memory. A transfer cut halfway leaves nothing behind on the
 * follower, and the leader starts it again from the beginning.
 *
 * A snapshot folder is opaque to the Raft runtime except for this: it holds a
 * `meta.json` listing its files ({ path, bytes, sha256 }), the rest being files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../types.js';
import type { SnapshotHeader } from './ports.js';
import { decodeMembership, encodeMembership, type Membership } from '../membership.js';

export type { SnapshotHeader };

interface WireChunk {
  header?: {
    from: string;
    to: string;
    term: number;
    index: number;
    snapshotTerm: number;
    meta: Uint8Array;
    membership?: Uint8Array;
  };
  file?: { path: string; offset: number; data: Uint8Array; crc32: number };
}

export interface SnapshotAck {
  installed: boolean;
  reason: string;
}

interface FolderFile {
  path: string;
  bytes: number;
  sha256: string;
}

export const SNAPSHOT_META_FILE = 'meta.json';
/** Bytes per chunk on the wire: well under the message limit, large enough to stream fast. */
export const SNAPSHOT_CHUNK_BYTES = 1 << 20;
/** The largest snapshot a node accepts (a bound on what a peer can make it write). */
export const MAX_SNAPSHOT_BYTES = 2 ** 40;
const MAX_SNAPSHOT_FILES = 100_000;

/** The files a snapshot's meta lists, checked: relative paths inside the folder, sane sizes. */
export function snapshotFiles(meta: Uint8Array): FolderFile[] {
  const parsed = JSON.parse(Buffer.from(meta).toString('utf8')) as { files?: unknown };
  if (!Array.isArray(parsed.files) || parsed.files.length > MAX_SNAPSHOT_FILES)
    throw new Error('the snapshot meta has no list of files');
  let total = 0;
  const files = parsed.files.map((f: unknown) => {
    const { path, bytes, sha256 } = (f ?? {}) as Partial<FolderFile>;
    if (
      typeof path !== 'string' ||
      path === '' ||
      path === SNAPSHOT_META_FILE ||
      path.startsWith('/') ||
      path.split('/').some((part) => part === '' || part === '.' || part === '..') ||
      !/^[A-Za-z0-9._/-]+$/.test(path)
    )
      throw new Error(
        `the snapshot meta names a file outside the snapshot: ${JSON.stringify(path)}`,
      );
    if (!Number.isSafeInteger(bytes) || (bytes as number) < 0)
      throw new Error(`the snapshot meta gives ${path} a bad size`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
      throw new Error(`the snapshot meta gives ${path} a bad SHA-256`);
    total += bytes as number;
    return { path, bytes: bytes as number, sha256 };
  });
  if (total > MAX_SNAPSHOT_BYTES)
    throw new Error(
      `the snapshot holds ${total} bytes, above the ${MAX_SNAPSHOT_BYTES}-byte limit`,
    );
  return files;
}

/**
 * Streams the snapshot in `folder` on `call` (a RaftPeer.InstallSnapshot call),
 * waiting for the stream to drain whenever its buffer is full; resolves when all
 * is written (the follower's answer comes through the call's callback).
 */
export async function streamSnapshot(
  call: grpc.ClientWritableStream<WireChunk>,
  header: SnapshotHeader,
  folder: string,
  meta: Uint8Array,
): Promise<void> {
  // A call that ends (the follower answered early, the deadline passed, the channel
  // broke) never drains: waiting for 'drain' alone would hold this function, and the
  // file it reads, forever.
  const ended = new Promise<never>((_, reject) => {
    const fail = (): void =>
      reject(new Error('the InstallSnapshot call ended before the whole snapshot was sent'));
    call.once('status', fail);
    call.once('error', fail);
    call.once('close', fail);
  });
  ended.catch(() => undefined);
  const write = async (chunk: WireChunk): Promise<void> => {
    if (!call.write(chunk))
      await Promise.race([new Promise<void>((resolve) => call.once('drain', resolve)), ended]);
  };
  const { membership, ...rest } = header;
  await write({
    header: {
      ...rest,
      meta,
      ...(membership && { membership: encodeMembership(membership) }),
    },
  });
  for (const file of snapshotFiles(meta)) {
    let offset = 0;
    for await (const piece of createReadStream(join(folder, file.path), {
      highWaterMark: SNAPSHOT_CHUNK_BYTES,
    })) {
      const data = piece as Buffer;
      await write({ file: { path: file.path, offset, data, crc32: crc32(data) } });
      offset += data.byteLength;
    }
  }
  call.end();
}

export interface SnapshotReceiverOptions {
  selfId: NodeId;
  /** Where received snapshots go (`<root>/<index>`; partial ones in `<root>/.incoming-*`). */
  root: string;
  /** Installs a received, checked snapshot; says whether it did and why not. */
  install: (header: SnapshotHeader, folder: string) => Promise<SnapshotAck>;
  log: (line: string) => void;
}

/**
 * The follower's side: a `receiveSnapshot` handler for raftPeerServer. One transfer
 * at a time; a second gets RESOURCE_EXHAUSTED-like refusal in its ack.
 */
export function snapshotReceiver(options: SnapshotReceiverOptions) {
  let busy = false;
  return (
    peer: NodeId,
    call: grpc.ServerReadableStream<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void => {
    if (busy) {
      callback(null, { installed: false, reason: 'another snapshot is being received' });
      return;
    }
    busy = true;
    let header: SnapshotHeader | undefined;
    let files: FolderFile[] = [];
    let meta: Uint8Array | undefined;
    let staging: string | undefined;
    let current:
      | {
          file: FolderFile;
          handle: FileHandle;
          written: number;
          hash: ReturnType<typeof createHash>;
        }
      | undefined;
    const done = new Set<string>();
    let failed: string | undefined;
    let chain: Promise<void> = Promise.resolve();

    const closeCurrent = async (): Promise<void> => {
      if (current === undefined) return;
      const { file, handle, written, hash } = current;
      current = undefined;
      await handle.sync();
      await handle.close();
      if (written !== file.bytes || hash.digest('hex') !== file.sha256)
        throw new Error(
          `${file.path} arrived with ${written} bytes or another SHA-256 than its meta says`,
        );
      done.add(file.path);
    };

    const onChunk = async (chunk: WireChunk): Promise<void> => {
      if (failed !== undefined) return;
      if (header === undefined) {
        const h = chunk.header;
        if (h === undefined) throw new Error('the stream does not start with a header');
        if (h.from !== peer) throw new Error(`the header claims ${h.from}, the caller is ${peer}`);
        if (h.to !== options.selfId)
          throw new Error(`the snapshot is for ${h.to}, not ${options.selfId}`);
        for (const n of [h.term, h.index, h.snapshotTerm])
          if (!Number.isSafeInteger(Number(n)) || Number(n) < 1)
            throw new Error('the header has a term or index that is not a positive integer');
        let membership: Membership | undefined;
        if (h.membership !== undefined && h.membership.byteLength > 0) {
          const decoded = decodeMembership(Uint8Array.from(h.membership));
          if (!decoded.ok) throw new Error(`the header's configuration: ${decoded.reason}`);
          membership = decoded.membership;
        }
        header = {
          from: h.from,
          to: h.to,
          term: Number(h.term),
          index: Number(h.index),
          snapshotTerm: Number(h.snapshotTerm),
          ...(membership && { membership }),
        };
        meta = Uint8Array.from(h.meta);
        files = snapshotFiles(meta);
        staging = join(options.root, `.incoming-${header.index}-${header.term}`);
        await rm(staging, { recursive: true, force: true });
        await mkdir(staging, { recursive: true });
        return;
      }
      const piece = chunk.file;
      if (piece === undefined) throw new Error('a second header');
      if (crc32(piece.data) !== piece.crc32)
        throw new Error(`a chunk of ${piece.path} fails its CRC-32`);
      if (current?.file.path !== piece.path) {
        await closeCurrent();
        const file = files.find((f) => f.path === piece.path);
        if (file === undefined || done.has(file.path))
          throw new Error(`${piece.path} is not a file of this snapshot, or came twice`);
        await mkdir(dirname(join(staging!, file.path)), { recursive: true });
        current = {
          file,
          handle: await open(join(staging!, file.path), 'w'),
          written: 0,
          hash: createHash('sha256'),
        };
      }
      if (Number(piece.offset) !== current.written)
        throw new Error(`${piece.path}: a chunk at ${piece.offset}, expected ${current.written}`);
      if (current.written + piece.data.byteLength > current.file.bytes)
        throw new Error(`${piece.path} is longer than its meta says`);
      await current.handle.write(piece.data);
      current.hash.update(piece.data);
      current.written += piece.data.byteLength;
    };

    const fail = (error: unknown): void => {
      failed ??= error instanceof Error ? error.message : String(error);
    };

    const cleanup = async (): Promise<void> => {
      if (current !== undefined) await current.handle.close().catch(() => undefined);
      current = undefined;
      if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    };

    call.on('data', (chunk: WireChunk) => {
      // One chunk at a time reaches the disk: the stream waits meanwhile (flow control).
      call.pause();
      chain = chain
        .then(() => onChunk(chunk))
        .catch(fail)
        .finally(() => call.resume());
    });
    // A transfer cut halfway (the leader cancelled, timed out or died) ends in 'close'
    // without 'end', and sometimes without 'error': drop what arrived and take the
    // next transfer, which starts again from the beginning.
    let ended = false;
    call.on('close', () => {
      if (ended) return;
      chain = chain.then(cleanup).finally(() => {
        busy = false;
      });
    });
    call.on('end', () => {
      ended = true;
      chain = chain
        .then(async () => {
          if (failed !== undefined) throw new Error(failed);
          await closeCurrent();
          if (header === undefined || meta === undefined) throw new Error('no header arrived');
          const missing = files.filter((f) => !done.has(f.path) && f.bytes > 0);
          if (missing.length > 0) throw new Error(`${missing[0]!.path} never arrived`);
          for (const f of files.filter((f) => !done.has(f.path))) {
            await mkdir(dirname(join(staging!, f.path)), { recursive: true });
            await (await open(join(staging!, f.path), 'w')).close();
          }
          const metaFile = await open(join(staging!, SNAPSHOT_META_FILE), 'w');
          await metaFile.writeFile(meta);
          await metaFile.sync();
          await metaFile.close();
          const folder = join(options.root, String(header.index));
          await rm(folder, { recursive: true, force: true });
          await rename(staging!, folder);
          staging = undefined;
          const ack = await options.install(header, folder);
          callback(null, ack);
        })
        .catch(async (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          options.log(`${options.selfId}: refused a snapshot from ${peer}: ${reason}`);
          await cleanup();
          callback(null, { installed: false, reason });
        })
        .finally(() => {
          busy = false;
        });
    });
  };
}
