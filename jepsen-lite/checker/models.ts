/**
 * Sequential specifications: what each operation does to the state of a single
 * object, and whether what the client observed is legal in that state.
 */
import type { Operation } from './history.js';

export interface StepResult<S> {
  /** Whether the operation, with the outcome the client observed, is legal in the state. */
  readonly ok: boolean;
  readonly next: S;
}

export interface Model<S> {
  init(): S;
  step(state: S, op: Operation): StepResult<S>;
  /** Identifies a state for memoization: two states are equal iff their hashes are. */
  hash(state: S): string;
  /**
   * Whether `op` never changes the state. An indeterminate read-only operation
   * carries no information (we never learned what it observed), so checkers drop it.
   */
  isReadOnly(op: Operation): boolean;
  /**
   * Only for models where every state-changing operation sets the whole state,
   * whatever it was (a register): the state such an operation leaves, or the
   * only state in which a read-only operation is legal. The search uses it to
   * prune (see OrphanedReads), and to try an indeterminate operation only when a
   * read observes its state: otherwise the next change would erase it anyway.
   */
  impliedState?(op: Operation): S;
  /** One line for reports, e.g. `read → "v3"`. */
  describe(op: Operation): string;
  describeState(state: S): string;
}

/** The model was given an operation it does not know, or one missing its value. */
export class UnsupportedOperationError extends Error {
  readonly code = 'UNSUPPORTED_OPERATION' as const;
  readonly operation: Operation;

  constructor(operation: Operation, detail: string) {
    super(`operation invoked at event ${operation.invokeIndex}: ${detail}`);
    this.name = 'UnsupportedOperationError';
    this.operation = operation;
  }
}

/** The register's value, or null when the key is absent. */
export type RegisterState = string | null;

/**
 * A key-value register: `write` sets a value, `delete` removes the key, and a
 * `read` is legal iff it returned the current value (null for absent).
 */
export const registerModel: Model<RegisterState> = {
  init: () => null,

  step(state, op) {
    switch (op.f) {
      case 'write':
        return { ok: true, next: writtenValue(op) };
      case 'delete':
        return { ok: true, next: null };
      case 'read':
        return { ok: valueRead(op) === state, next: state };
      default:
        throw new UnsupportedOperationError(op, `the register has no operation ${op.f}`);
    }
  },

  hash: (state) => JSON.stringify(state),
  isReadOnly: (op) => op.f === 'read',

  impliedState(op) {
    switch (op.f) {
      case 'write':
        return writtenValue(op);
      case 'delete':
        return null;
      case 'read':
        return valueRead(op);
      default:
        throw new UnsupportedOperationError(op, `the register has no operation ${op.f}`);
    }
  },

  describe(op) {
    switch (op.f) {
      case 'write':
        return `write ${JSON.stringify(op.value)}`;
      case 'read':
        return `read → ${op.value === undefined ? '?' : describeRegister(op.value)}`;
      default:
        return op.f;
    }
  },

  describeState: describeRegister,
};

function writtenValue(op: Operation): string {
  if (typeof op.value !== 'string') {
    throw new UnsupportedOperationError(op, 'a write must carry a string value');
  }
  return op.value;
}

function valueRead(op: Operation): RegisterState {
  if (op.value === undefined) {
    throw new UnsupportedOperationError(op, 'a completed read must carry the value read');
  }
  return op.value;
}

function describeRegister(state: RegisterState): string {
  return state === null ? 'absent' : JSON.stringify(state);
}
