/**
 * Server flags that break safety on purpose. They exist only to prove that
 * jepsen-lite and the read-consistency tests catch what they claim to catch: each
 * one turns off one guarantee, and a short targeted run must report the violation. A server refuses them
 * unless RAFTVEC_UNSAFE_TEST_FLAGS=1 is set, and shouts when it runs with one.
 */
import { RaftvecError } from '../errors.js';

export const UNSAFE_TEST_FLAGS_ENV = 'RAFTVEC_UNSAFE_TEST_FLAGS';

export interface UnsafeTestFlags {
  /** Answer a write once it is appended to the leader's log, before a majority has it. */
  ackBeforeCommit: boolean;
  /** Serve reads from local state on any node, without ReadIndex (no leadership check). */
  readsWithoutReadIndex: boolean;
  /** Apply every write, ignoring the client session table: a retried write applies twice. */
  skipSessionTable: boolean;
  /** A leader's lease, once confirmed, never expires within its term (LEASE reads). */
  leaseNeverExpires: boolean;
  /** Any replica serves a BOUNDED read, whatever its staleness. */
  boundedReadsIgnoreStaleness: boolean;
  /** Any replica serves a SESSION read at once, whatever it has applied. */
  sessionReadsIgnoreIndex: boolean;
}

export const SAFE: UnsafeTestFlags = {
  ackBeforeCommit: false,
  readsWithoutReadIndex: false,
  skipSessionTable: false,
  leaseNeverExpires: false,
  boundedReadsIgnoreStaleness: false,
  sessionReadsIgnoreIndex: false,
};

/** The names of the flags that are on, for logs and refusals. */
export function unsafeFlagNames(flags: UnsafeTestFlags): string[] {
  return Object.entries(flags)
    .filter(([, on]) => on)
    .map(([name]) => name);
}

/** Throws unless the environment allows unsafe flags (or none is on). */
export function checkUnsafeFlagsAllowed(
  flags: UnsafeTestFlags,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const on = unsafeFlagNames(flags);
  const asOption = (name: string): string =>
    `${name} (--unsafe-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)})`;
  if (on.length > 0 && env[UNSAFE_TEST_FLAGS_ENV] !== '1')
    throw new RaftvecError(
      'FAILED_PRECONDITION',
      `refusing the unsafe test flags ${on.map(asOption).join(', ')}: they break safety on purpose and exist only for jepsen-lite; set ${UNSAFE_TEST_FLAGS_ENV}=1 to allow them`,
    );
}
