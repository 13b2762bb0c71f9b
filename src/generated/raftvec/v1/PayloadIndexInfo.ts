// Original file: proto/raftvec/v1/vector.proto

import type { PayloadIndexType as _raftvec_v1_PayloadIndexType, PayloadIndexType__Output as _raftvec_v1_PayloadIndexType__Output } from '../../raftvec/v1/PayloadIndexType.js';

export interface PayloadIndexInfo {
  'key'?: (string);
  'type'?: (_raftvec_v1_PayloadIndexType);
}

export interface PayloadIndexInfo__Output {
  'key': (string);
  'type': (_raftvec_v1_PayloadIndexType__Output);
}
