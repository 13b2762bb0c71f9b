/** The history checkers of jepsen-lite: linearizability of registers, and the set workload. */
export {
  MalformedHistoryError,
  pairOperations,
  type EventType,
  type HistoryEvent,
  type MalformedReason,
  type Operation,
  type Outcome,
} from './history.js';
export {
  registerModel,
  UnsupportedOperationError,
  type Model,
  type RegisterState,
  type StepResult,
} from './models.js';
export {
  checkLinearizable,
  NO_KEY,
  type Budget,
  type ImpossibleReadWitness,
  type KeyResult,
  type LinearizabilityAnomaly,
  type LinearizabilityResult,
  type Verdict,
} from './linearizable.js';
export {
  checkSet,
  insertAttempts,
  SetInputError,
  type InsertAttempt,
  type ReadDisagreement,
  type SetCheckResult,
  type SetInputReason,
  type SetReadCounts,
  type SetReadReport,
} from './set.js';
