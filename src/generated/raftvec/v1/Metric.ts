// Original file: proto/raftvec/v1/vector.proto

export const Metric = {
  /**
   * means L2
   */
  METRIC_UNSPECIFIED: 'METRIC_UNSPECIFIED',
  METRIC_L2: 'METRIC_L2',
  METRIC_IP: 'METRIC_IP',
  /**
   * vectors are normalized on write and query
   */
  METRIC_COSINE: 'METRIC_COSINE',
} as const;

export type Metric =
  /**
   * means L2
   */
  | 'METRIC_UNSPECIFIED'
  | 0
  | 'METRIC_L2'
  | 1
  | 'METRIC_IP'
  | 2
  /**
   * vectors are normalized on write and query
   */
  | 'METRIC_COSINE'
  | 3

export type Metric__Output = typeof Metric[keyof typeof Metric]
