/**
 * The unsafe test flags: refused unless RAFTVEC_UNSAFE_TEST_FLAGS=1, loud when on.
 * The CLI part spawns `bin/raftvec.js serve` (needs `npm run build`); the child's
 * RAFTVEC_UNSAFE_TEST_FLAGS is always set explicitly, never inherited.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecError } from '../../src/errors.js';
import {
  checkUnsafeFlagsAllowed,
  SAFE,
  UNSAFE_TEST_FLAGS_ENV,
  unsafeFlagNames,
  type UnsafeTestFlags,
} from '../../src/server/unsafe-test-flags.js';
import {
  LISTENING_RE,
  ProcessGroup,
  runCli,
  waitFor,
  type NodeProcess,
} from '../support/processes.js';

const ENV = 'RAFTVEC_UNSAFE_TEST_FLAGS';

describe('checkUnsafeFlagsAllowed', () => {
  const on = (flags: Partial<UnsafeTestFlags>): UnsafeTestFlags => ({ ...SAFE, ...flags });

  it('names the environment variable it reads', () => {
    expect(UNSAFE_TEST_FLAGS_ENV).toBe(ENV);
  });

  it('passes with no flag on, whatever the environment', () => {
    for (const env of [{}, { [ENV]: '0' }, { [ENV]: '1' }])
      expect(() => checkUnsafeFlagsAllowed(SAFE, env)).not.toThrow();
    expect(unsafeFlagNames(SAFE)).toEqual([]);
  });

  it.each([
    ['ackBeforeCommit', on({ ackBeforeCommit: true })],
    ['readsWithoutReadIndex', on({ readsWithoutReadIndex: true })],
    ['skipSessionTable', on({ skipSessionTable: true })],
    ['leaseNeverExpires', on({ leaseNeverExpires: true })],
    ['boundedReadsIgnoreStaleness', on({ boundedReadsIgnoreStaleness: true })],
    ['sessionReadsIgnoreIndex', on({ sessionReadsIgnoreIndex: true })],
  ] as const)('refuses %s unless %s=1, naming the flag and the variable', (name, flags) => {
    for (const env of [{}, { [ENV]: '' }, { [ENV]: '0' }, { [ENV]: 'true' }, { [ENV]: 'yes' }]) {
      let error: unknown;
      try {
        checkUnsafeFlagsAllowed(flags, env);
      } catch (err) {
        error = err;
      }
      expect(error, `env ${JSON.stringify(env)}`).toBeInstanceOf(RaftvecError);
      expect((error as RaftvecError).code).toBe('FAILED_PRECONDITION');
      expect((error as RaftvecError).message).toContain(name);
      expect((error as RaftvecError).message).toContain(`${ENV}=1`);
    }
    expect(() => checkUnsafeFlagsAllowed(flags, { [ENV]: '1' })).not.toThrow();
  });

  it('names every flag that is on', () => {
    const all = on({ ackBeforeCommit: true, readsWithoutReadIndex: true, skipSessionTable: true });
    expect(unsafeFlagNames(all)).toEqual([
      'ackBeforeCommit',
      'readsWithoutReadIndex',
      'skipSessionTable',
    ]);
    expect(() => checkUnsafeFlagsAllowed(all, {})).toThrow(
      /ackBeforeCommit \(--unsafe-ack-before-commit\), readsWithoutReadIndex \(--unsafe-reads-without-read-index\), skipSessionTable \(--unsafe-skip-session-table\)/,
    );
  });
});

describe('raftvec serve --unsafe-*', () => {
  const procs = new ProcessGroup();
  afterAll(() => procs.cleanup());

  /** Stops `node` with SIGTERM and waits for its last stderr line, so its stderr is complete. */
  async function stop(node: NodeProcess): Promise<void> {
    const exit = await node.kill('SIGTERM');
    expect(exit, node.describe()).toEqual({ code: 0, signal: null });
    await waitFor('the "stopped" line on stderr', () => node.stderr.includes('"msg":"stopped"'));
  }

  it('hides the flags from --help', async () => {
    const help = await runCli(['serve', '--help'], { env: { [ENV]: undefined } });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--listen');
    expect(help.stdout + help.stderr).not.toMatch(/unsafe/i);
  });

  it.each([
    ['unset', undefined],
    ['0', '0'],
  ])(
    'refuses --unsafe-reads-without-read-index with %s RAFTVEC_UNSAFE_TEST_FLAGS, before touching the data dir',
    async (_label, value) => {
      const dir = await procs.tempDir('unsafe-refused');
      const data = join(dir, 'data');
      const r = await runCli(
        ['serve', '--listen', '127.0.0.1:0', '--data', data, '--unsafe-reads-without-read-index'],
        { env: { [ENV]: value } },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${ENV}=1`);
      expect(r.stderr).toContain('readsWithoutReadIndex');
      expect(r.stderr).toMatch(/refusing the unsafe test flags/);
      expect(r.stdout).not.toMatch(/raftvec listening on/);
      expect(existsSync(data)).toBe(false);
    },
  );

  it('with RAFTVEC_UNSAFE_TEST_FLAGS=1 it starts and warns, naming the flag', async () => {
    const dir = await procs.tempDir('unsafe-on');
    const node = await procs.startNode({
      dataDir: join(dir, 'data'),
      name: 'unsafe-on',
      args: ['--unsafe-reads-without-read-index'],
      env: { [ENV]: '1' },
    });
    expect(node.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await waitFor('the unsafe warning on stderr', () =>
      node.stderr.includes('UNSAFE TEST FLAGS ON'),
    );
    expect(node.stderr).toMatch(/UNSAFE TEST FLAGS ON \(readsWithoutReadIndex\)/);
    await stop(node);
  });

  it('with RAFTVEC_UNSAFE_TEST_FLAGS=1 and all six flags, the warning names all six', async () => {
    const dir = await procs.tempDir('unsafe-all');
    const node = await procs.startNode({
      dataDir: join(dir, 'data'),
      name: 'unsafe-all',
      args: [
        '--unsafe-ack-before-commit',
        '--unsafe-reads-without-read-index',
        '--unsafe-skip-session-table',
        '--unsafe-lease-never-expires',
        '--unsafe-bounded-reads-ignore-staleness',
        '--unsafe-session-reads-ignore-index',
      ],
      env: { [ENV]: '1' },
    });
    await waitFor('the unsafe warning on stderr', () =>
      node.stderr.includes('UNSAFE TEST FLAGS ON'),
    );
    expect(node.stderr).toMatch(
      /UNSAFE TEST FLAGS ON \(ackBeforeCommit, readsWithoutReadIndex, skipSessionTable, leaseNeverExpires, boundedReadsIgnoreStaleness, sessionReadsIgnoreIndex\)/,
    );
    await stop(node);
  });

  it('with RAFTVEC_UNSAFE_TEST_FLAGS=1 and no flag, a node runs without the warning', async () => {
    const dir = await procs.tempDir('unsafe-none');
    const node = await procs.startNode({
      dataDir: join(dir, 'data'),
      name: 'unsafe-none',
      env: { [ENV]: '1' },
    });
    expect(node.stdoutLines.some((line) => LISTENING_RE.test(line))).toBe(true);
    await stop(node);
    expect(node.stderr).not.toMatch(/UNSAFE/);
  });
});
