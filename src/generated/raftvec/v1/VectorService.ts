// Original file: proto/raftvec/v1/vector.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CollectionInfo as _raftvec_v1_CollectionInfo, CollectionInfo__Output as _raftvec_v1_CollectionInfo__Output } from '../../raftvec/v1/CollectionInfo.js';
import type { CountRequest as _raftvec_v1_CountRequest, CountRequest__Output as _raftvec_v1_CountRequest__Output } from '../../raftvec/v1/CountRequest.js';
import type { CountResponse as _raftvec_v1_CountResponse, CountResponse__Output as _raftvec_v1_CountResponse__Output } from '../../raftvec/v1/CountResponse.js';
import type { CreateCollectionRequest as _raftvec_v1_CreateCollectionRequest, CreateCollectionRequest__Output as _raftvec_v1_CreateCollectionRequest__Output } from '../../raftvec/v1/CreateCollectionRequest.js';
import type { CreateCollectionResponse as _raftvec_v1_CreateCollectionResponse, CreateCollectionResponse__Output as _raftvec_v1_CreateCollectionResponse__Output } from '../../raftvec/v1/CreateCollectionResponse.js';
import type { CreatePayloadIndexRequest as _raftvec_v1_CreatePayloadIndexRequest, CreatePayloadIndexRequest__Output as _raftvec_v1_CreatePayloadIndexRequest__Output } from '../../raftvec/v1/CreatePayloadIndexRequest.js';
import type { DeletePayloadKeysRequest as _raftvec_v1_DeletePayloadKeysRequest, DeletePayloadKeysRequest__Output as _raftvec_v1_DeletePayloadKeysRequest__Output } from '../../raftvec/v1/DeletePayloadKeysRequest.js';
import type { DeleteRequest as _raftvec_v1_DeleteRequest, DeleteRequest__Output as _raftvec_v1_DeleteRequest__Output } from '../../raftvec/v1/DeleteRequest.js';
import type { DescribeCollectionRequest as _raftvec_v1_DescribeCollectionRequest, DescribeCollectionRequest__Output as _raftvec_v1_DescribeCollectionRequest__Output } from '../../raftvec/v1/DescribeCollectionRequest.js';
import type { DropCollectionRequest as _raftvec_v1_DropCollectionRequest, DropCollectionRequest__Output as _raftvec_v1_DropCollectionRequest__Output } from '../../raftvec/v1/DropCollectionRequest.js';
import type { DropCollectionResponse as _raftvec_v1_DropCollectionResponse, DropCollectionResponse__Output as _raftvec_v1_DropCollectionResponse__Output } from '../../raftvec/v1/DropCollectionResponse.js';
import type { DropPayloadIndexRequest as _raftvec_v1_DropPayloadIndexRequest, DropPayloadIndexRequest__Output as _raftvec_v1_DropPayloadIndexRequest__Output } from '../../raftvec/v1/DropPayloadIndexRequest.js';
import type { GetRequest as _raftvec_v1_GetRequest, GetRequest__Output as _raftvec_v1_GetRequest__Output } from '../../raftvec/v1/GetRequest.js';
import type { GetResponse as _raftvec_v1_GetResponse, GetResponse__Output as _raftvec_v1_GetResponse__Output } from '../../raftvec/v1/GetResponse.js';
import type { ListCollectionsRequest as _raftvec_v1_ListCollectionsRequest, ListCollectionsRequest__Output as _raftvec_v1_ListCollectionsRequest__Output } from '../../raftvec/v1/ListCollectionsRequest.js';
import type { ListCollectionsResponse as _raftvec_v1_ListCollectionsResponse, ListCollectionsResponse__Output as _raftvec_v1_ListCollectionsResponse__Output } from '../../raftvec/v1/ListCollectionsResponse.js';
import type { ScrollRequest as _raftvec_v1_ScrollRequest, ScrollRequest__Output as _raftvec_v1_ScrollRequest__Output } from '../../raftvec/v1/ScrollRequest.js';
import type { ScrollResponse as _raftvec_v1_ScrollResponse, ScrollResponse__Output as _raftvec_v1_ScrollResponse__Output } from '../../raftvec/v1/ScrollResponse.js';
import type { SearchRequest as _raftvec_v1_SearchRequest, SearchRequest__Output as _raftvec_v1_SearchRequest__Output } from '../../raftvec/v1/SearchRequest.js';
import type { SearchResponse as _raftvec_v1_SearchResponse, SearchResponse__Output as _raftvec_v1_SearchResponse__Output } from '../../raftvec/v1/SearchResponse.js';
import type { SetPayloadRequest as _raftvec_v1_SetPayloadRequest, SetPayloadRequest__Output as _raftvec_v1_SetPayloadRequest__Output } from '../../raftvec/v1/SetPayloadRequest.js';
import type { UpdateBatchRequest as _raftvec_v1_UpdateBatchRequest, UpdateBatchRequest__Output as _raftvec_v1_UpdateBatchRequest__Output } from '../../raftvec/v1/UpdateBatchRequest.js';
import type { UpdateBatchResponse as _raftvec_v1_UpdateBatchResponse, UpdateBatchResponse__Output as _raftvec_v1_UpdateBatchResponse__Output } from '../../raftvec/v1/UpdateBatchResponse.js';
import type { UpsertRequest as _raftvec_v1_UpsertRequest, UpsertRequest__Output as _raftvec_v1_UpsertRequest__Output } from '../../raftvec/v1/UpsertRequest.js';
import type { WriteResponse as _raftvec_v1_WriteResponse, WriteResponse__Output as _raftvec_v1_WriteResponse__Output } from '../../raftvec/v1/WriteResponse.js';
import type { WriteStreamRequest as _raftvec_v1_WriteStreamRequest, WriteStreamRequest__Output as _raftvec_v1_WriteStreamRequest__Output } from '../../raftvec/v1/WriteStreamRequest.js';
import type { WriteStreamResponse as _raftvec_v1_WriteStreamResponse, WriteStreamResponse__Output as _raftvec_v1_WriteStreamResponse__Output } from '../../raftvec/v1/WriteStreamResponse.js';

export interface VectorServiceClient extends grpc.Client {
  Count(argument: _raftvec_v1_CountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  Count(argument: _raftvec_v1_CountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  Count(argument: _raftvec_v1_CountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  Count(argument: _raftvec_v1_CountRequest, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  count(argument: _raftvec_v1_CountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  count(argument: _raftvec_v1_CountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  count(argument: _raftvec_v1_CountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  count(argument: _raftvec_v1_CountRequest, callback: grpc.requestCallback<_raftvec_v1_CountResponse__Output>): grpc.ClientUnaryCall;
  
  CreateCollection(argument: _raftvec_v1_CreateCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  CreateCollection(argument: _raftvec_v1_CreateCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  CreateCollection(argument: _raftvec_v1_CreateCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  CreateCollection(argument: _raftvec_v1_CreateCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  createCollection(argument: _raftvec_v1_CreateCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  createCollection(argument: _raftvec_v1_CreateCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  createCollection(argument: _raftvec_v1_CreateCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  createCollection(argument: _raftvec_v1_CreateCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_CreateCollectionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Payload indexes: make filters on a key fast (see docs/filters.md). Built through
   * the log on every replica; creating one that exists with the same type is a no-op.
   */
  CreatePayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreatePayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreatePayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  CreatePayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Payload indexes: make filters on a key fast (see docs/filters.md). Built through
   * the log on every replica; creating one that exists with the same type is a no-op.
   */
  createPayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createPayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createPayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  createPayloadIndex(argument: _raftvec_v1_CreatePayloadIndexRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes points by id (ids that do not exist are ignored), or every point that
   * matches a filter, atomically.
   */
  Delete(argument: _raftvec_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _raftvec_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _raftvec_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _raftvec_v1_DeleteRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes points by id (ids that do not exist are ignored), or every point that
   * matches a filter, atomically.
   */
  delete(argument: _raftvec_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _raftvec_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _raftvec_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _raftvec_v1_DeleteRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  DeletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DeletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DeletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DeletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  deletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  deletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  deletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  deletePayloadKeys(argument: _raftvec_v1_DeletePayloadKeysRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  DescribeCollection(argument: _raftvec_v1_DescribeCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  DescribeCollection(argument: _raftvec_v1_DescribeCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  DescribeCollection(argument: _raftvec_v1_DescribeCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  DescribeCollection(argument: _raftvec_v1_DescribeCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  describeCollection(argument: _raftvec_v1_DescribeCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  describeCollection(argument: _raftvec_v1_DescribeCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  describeCollection(argument: _raftvec_v1_DescribeCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  describeCollection(argument: _raftvec_v1_DescribeCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_CollectionInfo__Output>): grpc.ClientUnaryCall;
  
  DropCollection(argument: _raftvec_v1_DropCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  DropCollection(argument: _raftvec_v1_DropCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  DropCollection(argument: _raftvec_v1_DropCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  DropCollection(argument: _raftvec_v1_DropCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  dropCollection(argument: _raftvec_v1_DropCollectionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  dropCollection(argument: _raftvec_v1_DropCollectionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  dropCollection(argument: _raftvec_v1_DropCollectionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  dropCollection(argument: _raftvec_v1_DropCollectionRequest, callback: grpc.requestCallback<_raftvec_v1_DropCollectionResponse__Output>): grpc.ClientUnaryCall;
  
  DropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  DropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  dropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  dropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  dropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  dropPayloadIndex(argument: _raftvec_v1_DropPayloadIndexRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads. Each takes ReadOptions (how fresh the answer must be, and so which nodes
   * may give it) and answers with ReadInfo (which replica answered, how far it had
   * applied). See docs/consistency.md.
   */
  Get(argument: _raftvec_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _raftvec_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _raftvec_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _raftvec_v1_GetRequest, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reads. Each takes ReadOptions (how fresh the answer must be, and so which nodes
   * may give it) and answers with ReadInfo (which replica answered, how far it had
   * applied). See docs/consistency.md.
   */
  get(argument: _raftvec_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _raftvec_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _raftvec_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _raftvec_v1_GetRequest, callback: grpc.requestCallback<_raftvec_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  
  ListCollections(argument: _raftvec_v1_ListCollectionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  ListCollections(argument: _raftvec_v1_ListCollectionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  ListCollections(argument: _raftvec_v1_ListCollectionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  ListCollections(argument: _raftvec_v1_ListCollectionsRequest, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  listCollections(argument: _raftvec_v1_ListCollectionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  listCollections(argument: _raftvec_v1_ListCollectionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  listCollections(argument: _raftvec_v1_ListCollectionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  listCollections(argument: _raftvec_v1_ListCollectionsRequest, callback: grpc.requestCallback<_raftvec_v1_ListCollectionsResponse__Output>): grpc.ClientUnaryCall;
  
  OverwritePayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  OverwritePayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  OverwritePayload(argument: _raftvec_v1_SetPayloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  OverwritePayload(argument: _raftvec_v1_SetPayloadRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  overwritePayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  overwritePayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  overwritePayload(argument: _raftvec_v1_SetPayloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  overwritePayload(argument: _raftvec_v1_SetPayloadRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pages through a collection in id order.
   */
  Scroll(argument: _raftvec_v1_ScrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _raftvec_v1_ScrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _raftvec_v1_ScrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  Scroll(argument: _raftvec_v1_ScrollRequest, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Pages through a collection in id order.
   */
  scroll(argument: _raftvec_v1_ScrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  scroll(argument: _raftvec_v1_ScrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  scroll(argument: _raftvec_v1_ScrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  scroll(argument: _raftvec_v1_ScrollRequest, callback: grpc.requestCallback<_raftvec_v1_ScrollResponse__Output>): grpc.ClientUnaryCall;
  
  Search(argument: _raftvec_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _raftvec_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _raftvec_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _raftvec_v1_SearchRequest, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _raftvec_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _raftvec_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _raftvec_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _raftvec_v1_SearchRequest, callback: grpc.requestCallback<_raftvec_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Payload updates, without resending vectors: of the points with the given ids (all
   * must exist) or of every point matching a filter, atomically (all of them or none).
   * SetPayload sets the given top-level keys and keeps the others; OverwritePayload
   * replaces the whole metadata; DeletePayloadKeys removes keys (dotted paths).
   */
  SetPayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  SetPayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  SetPayload(argument: _raftvec_v1_SetPayloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  SetPayload(argument: _raftvec_v1_SetPayloadRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Payload updates, without resending vectors: of the points with the given ids (all
   * must exist) or of every point matching a filter, atomically (all of them or none).
   * SetPayload sets the given top-level keys and keeps the others; OverwritePayload
   * replaces the whole metadata; DeletePayloadKeys removes keys (dotted paths).
   */
  setPayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  setPayload(argument: _raftvec_v1_SetPayloadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  setPayload(argument: _raftvec_v1_SetPayloadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  setPayload(argument: _raftvec_v1_SetPayloadRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Several writes to one collection in one log entry: applied in order, each seeing the
   * ones before it, all of them or none (the first refusal refuses the whole batch, with
   * its operation's index in the message).
   */
  UpdateBatch(argument: _raftvec_v1_UpdateBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  UpdateBatch(argument: _raftvec_v1_UpdateBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  UpdateBatch(argument: _raftvec_v1_UpdateBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  UpdateBatch(argument: _raftvec_v1_UpdateBatchRequest, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Several writes to one collection in one log entry: applied in order, each seeing the
   * ones before it, all of them or none (the first refusal refuses the whole batch, with
   * its operation's index in the message).
   */
  updateBatch(argument: _raftvec_v1_UpdateBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  updateBatch(argument: _raftvec_v1_UpdateBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  updateBatch(argument: _raftvec_v1_UpdateBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  updateBatch(argument: _raftvec_v1_UpdateBatchRequest, callback: grpc.requestCallback<_raftvec_v1_UpdateBatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Inserts or replaces a batch of points, atomically: all of them or none.
   */
  Upsert(argument: _raftvec_v1_UpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _raftvec_v1_UpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _raftvec_v1_UpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  Upsert(argument: _raftvec_v1_UpsertRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Inserts or replaces a batch of points, atomically: all of them or none.
   */
  upsert(argument: _raftvec_v1_UpsertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  upsert(argument: _raftvec_v1_UpsertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  upsert(argument: _raftvec_v1_UpsertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  upsert(argument: _raftvec_v1_UpsertRequest, callback: grpc.requestCallback<_raftvec_v1_WriteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Upserts and deletes on one long-lived stream: each request is answered by a
   * response with its id, in the order the writes finish. Validation, write concern
   * and errors are those of Upsert and Delete; what it saves is the cost of a call
   * per write, for a client with many writes in flight. At most 1,024 writes of one
   * stream are handled at once; more are answered RESOURCE_EXHAUSTED.
   */
  WriteStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamResponse__Output>;
  WriteStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamResponse__Output>;
  /**
   * Upserts and deletes on one long-lived stream: each request is answered by a
   * response with its id, in the order the writes finish. Validation, write concern
   * and errors are those of Upsert and Delete; what it saves is the cost of a call
   * per write, for a client with many writes in flight. At most 1,024 writes of one
   * stream are handled at once; more are answered RESOURCE_EXHAUSTED.
   */
  writeStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamResponse__Output>;
  writeStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamResponse__Output>;
  
}

export interface VectorServiceHandlers extends grpc.UntypedServiceImplementation {
  Count: grpc.handleUnaryCall<_raftvec_v1_CountRequest__Output, _raftvec_v1_CountResponse>;
  
  CreateCollection: grpc.handleUnaryCall<_raftvec_v1_CreateCollectionRequest__Output, _raftvec_v1_CreateCollectionResponse>;
  
  /**
   * Payload indexes: make filters on a key fast (see docs/filters.md). Built through
   * the log on every replica; creating one that exists with the same type is a no-op.
   */
  CreatePayloadIndex: grpc.handleUnaryCall<_raftvec_v1_CreatePayloadIndexRequest__Output, _raftvec_v1_WriteResponse>;
  
  /**
   * Deletes points by id (ids that do not exist are ignored), or every point that
   * matches a filter, atomically.
   */
  Delete: grpc.handleUnaryCall<_raftvec_v1_DeleteRequest__Output, _raftvec_v1_WriteResponse>;
  
  DeletePayloadKeys: grpc.handleUnaryCall<_raftvec_v1_DeletePayloadKeysRequest__Output, _raftvec_v1_WriteResponse>;
  
  DescribeCollection: grpc.handleUnaryCall<_raftvec_v1_DescribeCollectionRequest__Output, _raftvec_v1_CollectionInfo>;
  
  DropCollection: grpc.handleUnaryCall<_raftvec_v1_DropCollectionRequest__Output, _raftvec_v1_DropCollectionResponse>;
  
  DropPayloadIndex: grpc.handleUnaryCall<_raftvec_v1_DropPayloadIndexRequest__Output, _raftvec_v1_WriteResponse>;
  
  /**
   * Reads. Each takes ReadOptions (how fresh the answer must be, and so which nodes
   * may give it) and answers with ReadInfo (which replica answered, how far it had
   * applied). See docs/consistency.md.
   */
  Get: grpc.handleUnaryCall<_raftvec_v1_GetRequest__Output, _raftvec_v1_GetResponse>;
  
  ListCollections: grpc.handleUnaryCall<_raftvec_v1_ListCollectionsRequest__Output, _raftvec_v1_ListCollectionsResponse>;
  
  OverwritePayload: grpc.handleUnaryCall<_raftvec_v1_SetPayloadRequest__Output, _raftvec_v1_WriteResponse>;
  
  /**
   * Pages through a collection in id order.
   */
  Scroll: grpc.handleUnaryCall<_raftvec_v1_ScrollRequest__Output, _raftvec_v1_ScrollResponse>;
  
  Search: grpc.handleUnaryCall<_raftvec_v1_SearchRequest__Output, _raftvec_v1_SearchResponse>;
  
  /**
   * Payload updates, without resending vectors: of the points with the given ids (all
   * must exist) or of every point matching a filter, atomically (all of them or none).
   * SetPayload sets the given top-level keys and keeps the others; OverwritePayload
   * replaces the whole metadata; DeletePayloadKeys removes keys (dotted paths).
   */
  SetPayload: grpc.handleUnaryCall<_raftvec_v1_SetPayloadRequest__Output, _raftvec_v1_WriteResponse>;
  
  /**
   * Several writes to one collection in one log entry: applied in order, each seeing the
   * ones before it, all of them or none (the first refusal refuses the whole batch, with
   * its operation's index in the message).
   */
  UpdateBatch: grpc.handleUnaryCall<_raftvec_v1_UpdateBatchRequest__Output, _raftvec_v1_UpdateBatchResponse>;
  
  /**
   * Inserts or replaces a batch of points, atomically: all of them or none.
   */
  Upsert: grpc.handleUnaryCall<_raftvec_v1_UpsertRequest__Output, _raftvec_v1_WriteResponse>;
  
  /**
   * Upserts and deletes on one long-lived stream: each request is answered by a
   * response with its id, in the order the writes finish. Validation, write concern
   * and errors are those of Upsert and Delete; what it saves is the cost of a call
   * per write, for a client with many writes in flight. At most 1,024 writes of one
   * stream are handled at once; more are answered RESOURCE_EXHAUSTED.
   */
  WriteStream: grpc.handleBidiStreamingCall<_raftvec_v1_WriteStreamRequest__Output, _raftvec_v1_WriteStreamResponse>;
  
}

export interface VectorServiceDefinition extends grpc.ServiceDefinition {
  Count: MethodDefinition<_raftvec_v1_CountRequest, _raftvec_v1_CountResponse, _raftvec_v1_CountRequest__Output, _raftvec_v1_CountResponse__Output>
  CreateCollection: MethodDefinition<_raftvec_v1_CreateCollectionRequest, _raftvec_v1_CreateCollectionResponse, _raftvec_v1_CreateCollectionRequest__Output, _raftvec_v1_CreateCollectionResponse__Output>
  CreatePayloadIndex: MethodDefinition<_raftvec_v1_CreatePayloadIndexRequest, _raftvec_v1_WriteResponse, _raftvec_v1_CreatePayloadIndexRequest__Output, _raftvec_v1_WriteResponse__Output>
  Delete: MethodDefinition<_raftvec_v1_DeleteRequest, _raftvec_v1_WriteResponse, _raftvec_v1_DeleteRequest__Output, _raftvec_v1_WriteResponse__Output>
  DeletePayloadKeys: MethodDefinition<_raftvec_v1_DeletePayloadKeysRequest, _raftvec_v1_WriteResponse, _raftvec_v1_DeletePayloadKeysRequest__Output, _raftvec_v1_WriteResponse__Output>
  DescribeCollection: MethodDefinition<_raftvec_v1_DescribeCollectionRequest, _raftvec_v1_CollectionInfo, _raftvec_v1_DescribeCollectionRequest__Output, _raftvec_v1_CollectionInfo__Output>
  DropCollection: MethodDefinition<_raftvec_v1_DropCollectionRequest, _raftvec_v1_DropCollectionResponse, _raftvec_v1_DropCollectionRequest__Output, _raftvec_v1_DropCollectionResponse__Output>
  DropPayloadIndex: MethodDefinition<_raftvec_v1_DropPayloadIndexRequest, _raftvec_v1_WriteResponse, _raftvec_v1_DropPayloadIndexRequest__Output, _raftvec_v1_WriteResponse__Output>
  Get: MethodDefinition<_raftvec_v1_GetRequest, _raftvec_v1_GetResponse, _raftvec_v1_GetRequest__Output, _raftvec_v1_GetResponse__Output>
  ListCollections: MethodDefinition<_raftvec_v1_ListCollectionsRequest, _raftvec_v1_ListCollectionsResponse, _raftvec_v1_ListCollectionsRequest__Output, _raftvec_v1_ListCollectionsResponse__Output>
  OverwritePayload: MethodDefinition<_raftvec_v1_SetPayloadRequest, _raftvec_v1_WriteResponse, _raftvec_v1_SetPayloadRequest__Output, _raftvec_v1_WriteResponse__Output>
  Scroll: MethodDefinition<_raftvec_v1_ScrollRequest, _raftvec_v1_ScrollResponse, _raftvec_v1_ScrollRequest__Output, _raftvec_v1_ScrollResponse__Output>
  Search: MethodDefinition<_raftvec_v1_SearchRequest, _raftvec_v1_SearchResponse, _raftvec_v1_SearchRequest__Output, _raftvec_v1_SearchResponse__Output>
  SetPayload: MethodDefinition<_raftvec_v1_SetPayloadRequest, _raftvec_v1_WriteResponse, _raftvec_v1_SetPayloadRequest__Output, _raftvec_v1_WriteResponse__Output>
  UpdateBatch: MethodDefinition<_raftvec_v1_UpdateBatchRequest, _raftvec_v1_UpdateBatchResponse, _raftvec_v1_UpdateBatchRequest__Output, _raftvec_v1_UpdateBatchResponse__Output>
  Upsert: MethodDefinition<_raftvec_v1_UpsertRequest, _raftvec_v1_WriteResponse, _raftvec_v1_UpsertRequest__Output, _raftvec_v1_WriteResponse__Output>
  WriteStream: MethodDefinition<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamResponse, _raftvec_v1_WriteStreamRequest__Output, _raftvec_v1_WriteStreamResponse__Output>
}
