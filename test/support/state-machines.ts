/**
 * Temporary state machines for a test file: the folders and state machines a test
 * makes are closed and removed after it (registers its own afterEach).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { VectorStateMachine, type OpenOptions } from '../../src/storage/state-machine.js';

export function stateMachineFixture(prefix: string): {
  tempDir: () => Promise<string>;
  /** Opens (unsynced unless `options` say otherwise) and tracks it. */
  openSm: (dir: string, options?: OpenOptions) => Promise<VectorStateMachine>;
  /** Closes it now (a test that reopens the same folder). */
  closeSm: (sm: VectorStateMachine) => Promise<void>;
} {
  const dirs: string[] = [];
  const open: VectorStateMachine[] = [];
  afterEach(async () => {
    for (const sm of open.splice(0)) await sm.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    tempDir: async () => {
      const dir = await mkdtemp(join(tmpdir(), `raftvec-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    openSm: async (dir, options = {}) => {
      const sm = await VectorStateMachine.open(dir, { sync: false, ...options });
      open.push(sm);
      return sm;
    },
    closeSm: async (sm) => {
      open.splice(open.indexOf(sm), 1);
      await sm.close();
    },
  };
}
