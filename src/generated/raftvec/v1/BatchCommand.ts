// Original file: proto/raftvec/v1/command.proto

import type { BatchOperationRecord as _raftvec_v1_BatchOperationRecord, BatchOperationRecord__Output as _raftvec_v1_BatchOperationRecord__Output } from '../../raftvec/v1/BatchOperationRecord.js';

/**
 * Operations on one collection, applied in order, all or none. Their own `collection`
 * fields are left empty: the batch names the collection.
 */
export interface BatchCommand {
  'collection'?: (string);
  'operations'?: (_raftvec_v1_BatchOperationRecord)[];
}

/**
 * Operations on one collection, applied in order, all or none. Their own `collection`
 * fields are left empty: the batch names the collection.
 */
export interface BatchCommand__Output {
  'collection': (string);
  'operations': (_raftvec_v1_BatchOperationRecord__Output)[];
}
