export {
  RaftvecClient,
  type RaftvecClientOptions,
  type CallOptions,
  type WriteCallOptions,
  type CreateCollectionOptions,
  type UpsertPoint,
  type WriteResult,
  type ReadOptions,
  type SearchOptions,
  type ScrollOptions,
  type CountOptions,
} from './client.js';
export { RaftvecClientError, statusName, type StatusName } from './errors.js';
export {
  Transport,
  DEFAULT_RETRY_POLICY,
  LEADER_ADDRESS_KEY,
  type RetryPolicy,
  type TransportOptions,
} from './transport.js';
export { checkHealth, type ServingStatus } from './health.js';
export type { WriteConcern } from './wire.js';
export type {
  CollectionInfo,
  Filter,
  Condition,
  Metadata,
  JsonValue,
  Metric,
  StoredPoint,
  SearchHit,
  ScrollPage,
} from '../domain.js';
