/**
 * The raw FAISS baseline of the search bench: bench/native/raw-faiss.cc,
 * compiled at bench time with g++ -O3 against the same FAISS library as
 * raftvec's addon (native/build/faiss-build.json says which; without it,
 * Debian's libfaiss-dev), cached by a hash of the source, the flags and the
 * library under os.tmpdir()/raftvec-bench-native/.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/package-root.js';
import { runToEnd, type DataFiles } from '../common.js';

/** How the addon's FAISS was built: native/<build dir>/faiss-build.json, or Debian's defaults. */
export interface FaissBuildInfo {
  faissInclude: string;
  faissLib: string;
  blasLibDir: string;
  cxxflags: string[];
  /** "avx2", "generic", ... ("unknown" when the file does not say). */
  variant: string;
  /** The file these came from, or undefined for the defaults (no faiss-build.json). */
  file: string | undefined;
  /** The file's whole content, as parsed. */
  raw?: Record<string, unknown>;
}

export const DEFAULT_FAISS_BUILD: Omit<FaissBuildInfo, 'file'> = {
  faissInclude: '/usr/include',
  faissLib: '/usr/lib/x86_64-linux-gnu/libfaiss.a',
  blasLibDir: '/usr/lib/x86_64-linux-gnu',
  cxxflags: [],
  variant: 'unknown',
};

function stringField(raw: Record<string, unknown>, name: string, fallback: string): string {
  const value = raw[name];
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/**
 * Reads `<buildDir>/faiss-build.json` (buildDir relative to the package root,
 * default native/build). Missing: Debian's defaults, with `file` undefined.
 * Unreadable or malformed: throws with the file's name.
 */
export function readFaissBuildInfo(buildDir = join('native', 'build')): FaissBuildInfo {
  const file = join(packageRoot(), buildDir, 'faiss-build.json');
  if (!existsSync(file)) return { ...DEFAULT_FAISS_BUILD, file: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file} is not a JSON object`);
  }
  const raw = parsed as Record<string, unknown>;
  const flags = raw['cxxflags'];
  const cxxflags = Array.isArray(flags)
    ? flags.filter((f): f is string => typeof f === 'string' && f !== '')
    : typeof flags === 'string'
      ? flags.split(/\s+/).filter(Boolean)
      : [];
  return {
    faissInclude: stringField(raw, 'faissInclude', DEFAULT_FAISS_BUILD.faissInclude),
    faissLib: stringField(raw, 'faissLib', DEFAULT_FAISS_BUILD.faissLib),
    blasLibDir: stringField(raw, 'blasLibDir', DEFAULT_FAISS_BUILD.blasLibDir),
    cxxflags,
    variant: stringField(raw, 'variant', 'unknown'),
    file,
    raw,
  };
}

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'raw-faiss.cc');

/** The g++ command line for the baseline (output path last). */
function compileArgs(build: FaissBuildInfo, output: string): string[] {
  const lib = build.faissLib;
  const rpath = /\.so(\.\d+)*$/.test(lib) ? [`-Wl,-rpath,${dirname(lib)}`] : [];
  return [
    '-O3',
    '-std=c++17',
    ...build.cxxflags,
    '-fopenmp',
    `-I${build.faissInclude}`,
    SOURCE,
    lib,
    `-L${build.blasLibDir}`,
    `-Wl,-rpath,${build.blasLibDir}`,
    ...rpath,
    '-lopenblas',
    '-lgomp',
    '-lm',
    '-o',
    output,
  ];
}

/**
 * Compiles bench/native/raw-faiss.cc unless a binary for the same source, flags
 * and library is cached; returns its path and whether it was just built. Throws
 * an Error with the compiler's message when it cannot.
 */
export function buildRawFaiss(build: FaissBuildInfo): { binary: string; compiled: boolean } {
  if (!existsSync(build.faissLib)) {
    throw new Error(
      `the FAISS library ${build.faissLib} is missing (from ${build.file ?? 'the defaults: no native/build/faiss-build.json'})`,
    );
  }
  const lib = statSync(build.faissLib);
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(JSON.stringify(compileArgs(build, '')))
    .update(`${build.faissLib}:${lib.size}:${lib.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), 'raftvec-bench-native');
  const binary = join(dir, `raw-faiss-${hash}`);
  if (existsSync(binary)) return { binary, compiled: false };
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.tmp-${process.pid}`;
  const result = spawnSync('g++', compileArgs(build, partial), {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error) {
    rmSync(partial, { force: true });
    throw new Error(`cannot run g++: ${result.error.message}`);
  }
  if (result.status !== 0) {
    rmSync(partial, { force: true });
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `g++ failed (exit ${result.status ?? result.signal}) compiling ${SOURCE}:\n${output}`,
    );
  }
  renameSync(partial, binary);
  return { binary, compiled: true };
}

export interface RawFaissResult {
  faissVersion: string;
  ompMaxThreads: number;
  blasThreads: number;
  addSeconds: number;
  singleSeconds: number;
  singleQps: number;
  batchSeconds: number;
  batchQps: number;
  /** 0 when not measured. */
  bandwidthGBs: number;
  bandwidthMB: number;
}

export interface RawFaissRun extends DataFiles {
  /** Size of the array summed for the bandwidth figure (0: skip it). */
  bandwidthMB: number;
  /** OMP_NUM_THREADS / OPENBLAS_NUM_THREADS; undefined = the libraries' defaults. */
  ompThreads?: number;
  blasThreads?: number;
}

const NUMBER_FIELDS = [
  'ompMaxThreads',
  'blasThreads',
  'addSeconds',
  'singleSeconds',
  'singleQps',
  'batchSeconds',
  'batchQps',
  'bandwidthGBs',
  'bandwidthMB',
] as const;

function parseResult(line: string): RawFaissResult {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`not an object: ${line}`);
  const raw = parsed as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const field of NUMBER_FIELDS) {
    const value = raw[field];
    if (typeof value !== 'number') throw new Error(`field ${field} missing in ${line}`);
    out[field] = value;
  }
  return {
    faissVersion: typeof raw['faissVersion'] === 'string' ? raw['faissVersion'] : 'unknown',
    ompMaxThreads: out['ompMaxThreads']!,
    blasThreads: out['blasThreads']!,
    addSeconds: out['addSeconds']!,
    singleSeconds: out['singleSeconds']!,
    singleQps: out['singleQps']!,
    batchSeconds: out['batchSeconds']!,
    batchQps: out['batchQps']!,
    bandwidthGBs: out['bandwidthGBs']!,
    bandwidthMB: out['bandwidthMB']!,
  };
}

/** Runs the compiled baseline once; rejects with its stderr when it fails. */
export async function runRawFaiss(binary: string, run: RawFaissRun): Promise<RawFaissResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['OMP_NUM_THREADS'];
  delete env['OPENBLAS_NUM_THREADS'];
  if (run.ompThreads !== undefined) env['OMP_NUM_THREADS'] = String(run.ompThreads);
  if (run.blasThreads !== undefined) env['OPENBLAS_NUM_THREADS'] = String(run.blasThreads);
  const args = [
    run.dataFile,
    String(run.n),
    run.queriesFile,
    String(run.queries),
    String(run.dim),
    String(run.k),
    String(run.bandwidthMB),
  ];
  const { stdout, stderr, code, signal } = await runToEnd(binary, args, { env });
  if (code !== 0)
    throw new Error(`${binary} exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`);
  try {
    return parseResult(stdout.trim().split('\n').pop() ?? '');
  } catch (error) {
    throw new Error(
      `cannot read ${binary}'s output: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
