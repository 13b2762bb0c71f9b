/**
 * The floor of our stack: a bare grpc-js server with one trivial unary method,
 * in a child process, and a client for it in this one. Its round trip is what
 * any gRPC call between two Node processes on this machine costs, whatever the
 * server does; raftvec's per-call overhead is compared to it.
 *
 * The method, /raftvec.bench.Floor/Echo, takes raw bytes (no protobuf) and
 * answers a fixed 160-byte buffer (about the size of 10 hits); callers send
 * 512 bytes (one 128-d float32 query). The server listens on 127.0.0.1 only,
 * and exits when its parent dies (its stdin closes, or it is re-parented).
 *
 *   const floor = await startGrpcFloor();
 *   const seconds = await floor.call();   // one round trip
 *   processCpuSeconds(floor.pid);          // the server's CPU time so far
 *   await floor.stop();
 *
 * Run directly (`tsx bench/grpc-floor.ts --serve`), it is the server.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { healthServiceDefinition } from '../src/api/proto.js';
import { killAndWait, trackChild } from './common.js';

const METHOD_PATH = '/raftvec.bench.Floor/Echo';
const RESPONSE = Buffer.alloc(160, 7);
const REQUEST_BYTES = 512;

const identity = (b: Buffer): Buffer => b;

const floorService: grpc.ServiceDefinition = {
  Echo: {
    path: METHOD_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface GrpcFloor {
  address: string;
  /** The floor server's process id (for its CPU time in /proc/<pid>/stat). */
  pid: number;
  /** One unary call; resolves to its round trip in seconds. */
  call(): Promise<number>;
  stop(): Promise<void>;
}

/** A client for any unary method: each call resolves to its round trip in seconds. */
export function unaryTimer<Req, Res>(
  client: grpc.Client,
  path: string,
  serialize: (req: Req) => Buffer,
  deserialize: (bytes: Buffer) => Res,
  request: Req,
  deadlineMs = 10_000,
): () => Promise<number> {
  return () =>
    new Promise<number>((resolvePromise, reject) => {
      const start = process.hrtime.bigint();
      client.makeUnaryRequest(
        path,
        serialize,
        deserialize,
        request,
        new grpc.Metadata(),
        { deadline: new Date(Date.now() + deadlineMs) },
        (error) => {
          if (error) reject(error);
          else resolvePromise(Number(process.hrtime.bigint() - start) / 1e9);
        },
      );
    });
}

/** Times raftvec's grpc.health.v1 Health.Check at `address` over one long-lived channel. */
export function startHealthTimer(address: string): {
  call: () => Promise<number>;
  close: () => void;
} {
  const check = healthServiceDefinition()['Check'];
  if (!check) throw new Error('grpc.health.v1.Health has no Check method');
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = unaryTimer(
    client,
    check.path,
    (req: { service: string }): Buffer => check.requestSerialize(req),
    (bytes: Buffer): unknown => check.responseDeserialize(bytes),
    { service: '' },
  );
  return { call, close: () => client.close() };
}

/** Starts the floor server in a child process and connects to it. */
export async function startGrpcFloor(): Promise<GrpcFloor> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: resolve(fileURLToPath(import.meta.url), '..', '..'),
    },
  );
  trackChild(child);
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the gRPC floor server did not start within 30 s')),
      30_000,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^FLOOR_PORT (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`the gRPC floor server exited (${signal ?? `code ${code}`}) before listening`),
      );
    });
  });
  const address = `127.0.0.1:${port}`;
  const pid = child.pid;
  if (pid === undefined) throw new Error('the gRPC floor server has no process id');
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  await new Promise<void>((resolveReady, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolveReady())),
  );
  const call = unaryTimer(client, METHOD_PATH, identity, identity, Buffer.alloc(REQUEST_BYTES, 1));
  return {
    address,
    pid,
    call,
    stop: async () => {
      client.close();
      await killAndWait(child, 'SIGKILL');
    },
  };
}

/** The server side: listens on 127.0.0.1, prints `FLOOR_PORT <port>`, exits with its parent. */
function serve(): void {
  const server = new grpc.Server();
  server.addService(floorService, {
    Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
      callback(null, RESPONSE),
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      console.error(`gRPC floor server: ${error.message}`);
      process.exit(1);
    }
    process.stdout.write(`FLOOR_PORT ${port}\n`);
  });
  // The parent holds our stdin: when it dies, stdin ends.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1_000).unref();
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--serve')) serve();
