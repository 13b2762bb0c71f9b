/**
 * The README's operations section lists every flag: each option that `raftvec serve
 * --help` and `raftvec --help` print is named in README.md, so a new flag cannot ship
 * undocumented.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/processes.js';

/** The long option names of a commander help text (`--name`), help itself left out. */
function flagsOf(help: string): string[] {
  const flags = [...help.matchAll(/^ {2}(?:-[a-zA-Z], )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
  return [...new Set(flags)].filter((f) => f !== '--help');
}

describe('README.md', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

  it.each([
    ['serve', ['serve', '--help']],
    ['the client commands', ['--help']],
  ])('names every flag of %s', async (_what, args) => {
    const { stdout, code } = await runCli(args);
    expect(code).toBe(0);
    const flags = flagsOf(stdout);
    expect(flags.length).toBeGreaterThan(5);
    const missing = flags.filter((f) => !new RegExp(`${f}(?![a-z0-9-])`).test(readme));
    expect(missing).toEqual([]);
  });
});
