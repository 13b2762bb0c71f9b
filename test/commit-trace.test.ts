import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// The trace is switched on at load from the environment, so each case runs in a child
// process on the built module (npm run build first; scripts/test.sh does).
const MODULE = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'commit-trace.js')).href;
const SCRIPT = `
import { commitTrace, commitTraceOn, traceReplication } from ${JSON.stringify(MODULE)};
commitTrace('proposed', 5, 1000.5);
traceReplication([
  { type: 'AppendEntries', from: 'n7', to: 'n8', term: 2, prevLogIndex: 5, prevLogTerm: 2, leaderCommit: 4,
    entries: [{ index: 6, term: 2, type: 'normal', data: new Uint8Array() }, { index: 7, term: 2, type: 'normal', data: new Uint8Array() }] },
  { type: 'AppendEntries', from: 'n7', to: 'n9', term: 2, prevLogIndex: 7, prevLogTerm: 2, leaderCommit: 4, entries: [] },
  { type: 'AppendEntriesResponse', from: 'n8', to: 'n7', term: 2, success: true, matchIndex: 7, rejectedIndex: 0, conflictTerm: 0, hintIndex: 0 },
  { type: 'AppendEntriesResponse', from: 'n9', to: 'n7', term: 2, success: false, matchIndex: 0, rejectedIndex: 7, conflictTerm: 0, hintIndex: 3 },
], false);
console.log(JSON.stringify({ on: commitTraceOn, pid: process.pid }));
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(env: Record<string, string>): { on: boolean; pid: number } {
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', SCRIPT, '--', '--id', 'n7'],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as { on: boolean; pid: number };
}

describe('commit-path trace points', () => {
  it('are written at exit, one line per point, to <prefix>.<node id>.<pid>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftvec-commit-trace-'));
    dirs.push(dir);
    const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
    const before = monotonicMs();
    const { on, pid } = run({ RAFTVEC_COMMIT_TRACE: join(dir, 'trace') });
    const after = monotonicMs();
    expect(on).toBe(true);
    expect(readdirSync(dir)).toEqual([`trace.n7.${pid}`]);
    const lines = readFileSync(join(dir, `trace.n7.${pid}`), 'utf8')
      .trim()
      .split('\n');
    // Received appends by their last entry, successful answers by their match index;
    // an empty append and a rejection are not steps of a write.
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'proposed 5',
      'appendReceived 7',
      'responseReceived 7',
    ]);
    expect(lines[0]).toBe('proposed 5 1000.500');
    // Stamped on the machine's monotonic clock, which this process shares: the child's
    // stamp falls between our readings before and after it ran.
    const stamped = Number(lines[1]!.split(' ')[2]);
    expect(stamped).toBeGreaterThanOrEqual(Math.floor(before));
    expect(stamped).toBeLessThanOrEqual(after + 0.001);
  });

  it('are off without RAFTVEC_COMMIT_TRACE: nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftvec-commit-trace-'));
    dirs.push(dir);
    const env = { ...process.env };
    delete env.RAFTVEC_COMMIT_TRACE;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      env,
      cwd: dir,
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    expect((JSON.parse(child.stdout) as { on: boolean }).on).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
