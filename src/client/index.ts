export {
  RaftvecClient,
  type RaftvecClientOptions,
  type CallOptions,
  type WriteCallOptions,
  type CreateCollectionOptions,
  type UpsertPoint,
  type WriteResult,
  type PointSelection,
  type BatchOperationInput,
  type BatchOperationResult,
  type UpdateBatchResult,
  type ReadOptions,
  type SearchOptions,
  type SearchTarget,
  type SearchQueryInput,
  type ScrollOptions,
  type CountOptions,
  type ConsistencyOptions,
} from './client.js';
export { Session } from './session.js';
export type { ReadConsistency, ReadInfo } from '../api/conversions.js';
export { RaftvecClientError, statusName, type StatusName } from './errors.js';
export {
  Transport,
  DEFAULT_RETRY_POLICY,
  apiKeyInterceptor,
  type RetryPolicy,
  type TransportOptions,
} from './transport.js';
export { LEADER_ADDRESS_KEY, RETRY_AFTER_MS_KEY } from '../api/metadata-keys.js';
export { checkHealth, type ServingStatus } from './health.js';
export { channelCredentials, type ClientTlsOptions } from './tls.js';
export type { WriteConcern } from '../api/conversions.js';
export type {
  CollectionInfo,
  Filter,
  Condition,
  FieldCondition,
  NumberRange,
  DatetimeRange,
  Scalar,
  PayloadIndexType,
  PayloadIndexSpec,
  Metadata,
  JsonValue,
  Metric,
  StoredPoint,
  SearchHit,
  ScrollPage,
} from '../domain.js';
