/**
 * Helpers for tests that run real raftvec processes: spawn a node, wait for
 * conditions (a stdout line, health SERVING) instead of sleeping, kill with real
 * signals, keep stderr for failure messages, and always clean up.
 *
 *   const procs = new ProcessGroup();            // one per test file
 *   afterAll(() => procs.cleanup());             // kills survivors, removes temp dirs
 *   const node = await procs.startNode({ dataDir: await procs.tempDir('n1') });
 *   node.address;                                // "127.0.0.1:PORT"
 *   await node.kill('SIGKILL');
 *
 * Tests that spawn `bin/raftvec.js` need `npm run build` first (dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { checkHealth } from '../../src/client/health.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = join(repoRoot, 'bin', 'raftvec.js');
export const LISTENING_RE = /^raftvec listening on (\S+)$/;

export function assertBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js')))
    throw new Error(
      'dist/cli/main.js is missing: run `npm run build` before the tests that spawn bin/raftvec.js',
    );
}

/** Polls `check` until it returns a truthy value; fails with `what` and the last error after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 15_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= end) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `address` reports SERVING for `service` ("" = the whole node). */
export function waitForServing(
  address: string,
  service = '',
  timeoutMs = 15_000,
  credentials?: ChannelCredentials,
): Promise<true> {
  return waitFor(
    `${address} to report SERVING${service ? ` for ${service}` : ''}`,
    async () => (await checkHealth(address, service, 1_000, credentials)) === 'SERVING',
    { timeoutMs },
  ) as Promise<true>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child with its output captured line by line. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly stdoutLines: string[] = [];
  #stderr = '';
  #stdoutRest = '';
  #exit: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;
  readonly #lineWaiters = new Set<() => void>();

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, [...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#stdoutRest + chunk).split('\n');
      this.#stdoutRest = parts.pop() ?? '';
      for (const line of parts) this.stdoutLines.push(line.replace(/\r$/, ''));
      for (const w of this.#lineWaiters) w();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        for (const w of this.#lineWaiters) w();
        resolveExit(this.#exit);
      });
      this.child.once('error', (err) => {
        this.#stderr += `\n[spawn error] ${err.message}`;
        this.#exit = { code: null, signal: null };
        for (const w of this.#lineWaiters) w();
        resolveExit(this.#exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined)
      throw new Error(`${this.name}: not running (spawn failed?)\n${this.stderr}`);
    return this.child.pid;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** For failure messages: the last stderr and stdout of the child. */
  describe(): string {
    const tail = (s: string): string => (s.length > 4000 ? `…${s.slice(-4000)}` : s);
    return (
      `[${this.name} pid ${this.child.pid ?? '?'} ${this.#exit ? `exited ${JSON.stringify(this.#exit)}` : 'running'}]\n` +
      `--- stderr ---\n${tail(this.#stderr)}\n--- stdout ---\n${tail(this.stdoutLines.join('\n'))}`
    );
  }

  /** Resolves the first capture group (or whole match) of the first stdout line matching `re`. */
  waitForLine(re: RegExp, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolveLine, reject) => {
      const check = (): boolean => {
        for (const line of this.stdoutLines) {
          const m = re.exec(line);
          if (m) {
            done();
            resolveLine(m[1] ?? m[0]);
            return true;
          }
        }
        if (!this.running) {
          done();
          reject(
            new Error(
              `${this.name} exited before printing a line matching ${re}\n${this.describe()}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${this.name} to print ${re}\n${this.describe()}`,
          ),
        );
      }, timeoutMs);
      const waiter = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.#lineWaiters.delete(waiter);
      };
      this.#lineWaiters.add(waiter);
      check();
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timeout = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name} did not exit within ${timeoutMs} ms of ${signal}\n${this.describe()}`,
            ),
          ),
        timeoutMs,
      );
      void this.exited.then(() => clearTimeout(t));
    });
    return Promise.race([this.exited, timeout]);
  }
}

export interface NodeProcess extends ManagedProcess {
  /** The address the node listens on (from its "raftvec listening on" line). */
  address: string;
}

export interface StartNodeOptions {
  dataDir: string;
  listen?: string;
  /** Extra arguments for `raftvec serve`. */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  name?: string;
  timeoutMs?: number;
  /** How to dial the node for its health (TLS); default plaintext. */
  credentials?: ChannelCredentials;
}

/** Spawned processes and temp dirs of one test file; `cleanup()` in afterAll. */
export class ProcessGroup {
  readonly #procs = new Set<ManagedProcess>();
  readonly #dirs = new Set<string>();
  #count = 0;

  async tempDir(label = 'tmp'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `raftvec-test-${label}-`));
    this.#dirs.add(dir);
    return dir;
  }

  spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): ManagedProcess {
    const p = new ManagedProcess(name, command, args, options);
    this.#procs.add(p);
    void p.exited.then(() => this.#procs.delete(p));
    return p;
  }

  /** Runs `node bin/raftvec.js ...args` (not waiting for it). */
  spawnRaftvec(
    args: readonly string[],
    options: { name?: string; env?: NodeJS.ProcessEnv } = {},
  ): ManagedProcess {
    assertBuilt();
    return this.spawn(
      options.name ?? `raftvec ${args[0] ?? ''}`.trim(),
      process.execPath,
      [binPath, ...args],
      options,
    );
  }

  /** Starts `raftvec serve`, waits for its listening line and for health SERVING. */
  async startNode(options: StartNodeOptions): Promise<NodeProcess> {
    const name = options.name ?? `node${++this.#count}`;
    const p = this.spawnRaftvec(
      [
        'serve',
        '--listen',
        options.listen ?? '127.0.0.1:0',
        '--data',
        options.dataDir,
        ...(options.args ?? []),
      ],
      { name, ...(options.env && { env: options.env }) },
    );
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      const address = await p.waitForLine(LISTENING_RE, timeoutMs);
      await waitForServing(address, '', timeoutMs, options.credentials);
      return Object.assign(p, { address });
    } catch (err) {
      await p.kill('SIGKILL').catch(() => undefined);
      throw new Error(`${(err as Error).message}\n${p.describe()}`, { cause: err });
    }
  }

  /** SIGKILLs every process still running and removes the temp dirs. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#procs].map((p) => p.kill('SIGKILL').catch(() => undefined)));
    this.#procs.clear();
    await Promise.all([...this.#dirs].map((d) => rm(d, { recursive: true, force: true })));
    this.#dirs.clear();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion: `node bin/raftvec.js ...args`. */
export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  assertBuilt();
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, RAFTVEC_ADDRESS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const code = await new Promise<number | null>((resolveCode, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `raftvec ${args.join(' ')} did not finish within ${timeoutMs} ms\nstderr: ${stderr}\nstdout: ${stdout}`,
        ),
      );
    }, timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(t);
      resolveCode(c);
    });
    child.once('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
  // 'exit' can come before the pipes are drained
  await Promise.all([
    new Promise((r) => (child.stdout.readableEnded ? r(undefined) : child.stdout.once('end', r))),
    new Promise((r) => (child.stderr.readableEnded ? r(undefined) : child.stderr.once('end', r))),
  ]);
  return { code, stdout, stderr };
}
