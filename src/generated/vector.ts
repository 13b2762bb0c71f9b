import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from './google/protobuf/ListValue.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from './google/protobuf/Struct.js';
import type { Value as _google_protobuf_Value, Value__Output as _google_protobuf_Value__Output } from './google/protobuf/Value.js';
import type { BatchOperation as _raftvec_v1_BatchOperation, BatchOperation__Output as _raftvec_v1_BatchOperation__Output } from './raftvec/v1/BatchOperation.js';
import type { CollectionInfo as _raftvec_v1_CollectionInfo, CollectionInfo__Output as _raftvec_v1_CollectionInfo__Output } from './raftvec/v1/CollectionInfo.js';
import type { Condition as _raftvec_v1_Condition, Condition__Output as _raftvec_v1_Condition__Output } from './raftvec/v1/Condition.js';
import type { CountRequest as _raftvec_v1_CountRequest, CountRequest__Output as _raftvec_v1_CountRequest__Output } from './raftvec/v1/CountRequest.js';
import type { CountResponse as _raftvec_v1_CountResponse, CountResponse__Output as _raftvec_v1_CountResponse__Output } from './raftvec/v1/CountResponse.js';
import type { CreateCollectionRequest as _raftvec_v1_CreateCollectionRequest, CreateCollectionRequest__Output as _raftvec_v1_CreateCollectionRequest__Output } from './raftvec/v1/CreateCollectionRequest.js';
import type { CreateCollectionResponse as _raftvec_v1_CreateCollectionResponse, CreateCollectionResponse__Output as _raftvec_v1_CreateCollectionResponse__Output } from './raftvec/v1/CreateCollectionResponse.js';
import type { CreatePayloadIndexRequest as _raftvec_v1_CreatePayloadIndexRequest, CreatePayloadIndexRequest__Output as _raftvec_v1_CreatePayloadIndexRequest__Output } from './raftvec/v1/CreatePayloadIndexRequest.js';
import type { DatetimeRange as _raftvec_v1_DatetimeRange, DatetimeRange__Output as _raftvec_v1_DatetimeRange__Output } from './raftvec/v1/DatetimeRange.js';
import type { DeletePayloadKeysOperation as _raftvec_v1_DeletePayloadKeysOperation, DeletePayloadKeysOperation__Output as _raftvec_v1_DeletePayloadKeysOperation__Output } from './raftvec/v1/DeletePayloadKeysOperation.js';
import type { DeletePayloadKeysRequest as _raftvec_v1_DeletePayloadKeysRequest, DeletePayloadKeysRequest__Output as _raftvec_v1_DeletePayloadKeysRequest__Output } from './raftvec/v1/DeletePayloadKeysRequest.js';
import type { DeleteRequest as _raftvec_v1_DeleteRequest, DeleteRequest__Output as _raftvec_v1_DeleteRequest__Output } from './raftvec/v1/DeleteRequest.js';
import type { DescribeCollectionRequest as _raftvec_v1_DescribeCollectionRequest, DescribeCollectionRequest__Output as _raftvec_v1_DescribeCollectionRequest__Output } from './raftvec/v1/DescribeCollectionRequest.js';
import type { DropCollectionRequest as _raftvec_v1_DropCollectionRequest, DropCollectionRequest__Output as _raftvec_v1_DropCollectionRequest__Output } from './raftvec/v1/DropCollectionRequest.js';
import type { DropCollectionResponse as _raftvec_v1_DropCollectionResponse, DropCollectionResponse__Output as _raftvec_v1_DropCollectionResponse__Output } from './raftvec/v1/DropCollectionResponse.js';
import type { DropPayloadIndexRequest as _raftvec_v1_DropPayloadIndexRequest, DropPayloadIndexRequest__Output as _raftvec_v1_DropPayloadIndexRequest__Output } from './raftvec/v1/DropPayloadIndexRequest.js';
import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from './raftvec/v1/Filter.js';
import type { GetRequest as _raftvec_v1_GetRequest, GetRequest__Output as _raftvec_v1_GetRequest__Output } from './raftvec/v1/GetRequest.js';
import type { GetResponse as _raftvec_v1_GetResponse, GetResponse__Output as _raftvec_v1_GetResponse__Output } from './raftvec/v1/GetResponse.js';
import type { IdList as _raftvec_v1_IdList, IdList__Output as _raftvec_v1_IdList__Output } from './raftvec/v1/IdList.js';
import type { ListCollectionsRequest as _raftvec_v1_ListCollectionsRequest, ListCollectionsRequest__Output as _raftvec_v1_ListCollectionsRequest__Output } from './raftvec/v1/ListCollectionsRequest.js';
import type { ListCollectionsResponse as _raftvec_v1_ListCollectionsResponse, ListCollectionsResponse__Output as _raftvec_v1_ListCollectionsResponse__Output } from './raftvec/v1/ListCollectionsResponse.js';
import type { PayloadIndexInfo as _raftvec_v1_PayloadIndexInfo, PayloadIndexInfo__Output as _raftvec_v1_PayloadIndexInfo__Output } from './raftvec/v1/PayloadIndexInfo.js';
import type { Point as _raftvec_v1_Point, Point__Output as _raftvec_v1_Point__Output } from './raftvec/v1/Point.js';
import type { PointSelection as _raftvec_v1_PointSelection, PointSelection__Output as _raftvec_v1_PointSelection__Output } from './raftvec/v1/PointSelection.js';
import type { QueryVector as _raftvec_v1_QueryVector, QueryVector__Output as _raftvec_v1_QueryVector__Output } from './raftvec/v1/QueryVector.js';
import type { Range as _raftvec_v1_Range, Range__Output as _raftvec_v1_Range__Output } from './raftvec/v1/Range.js';
import type { ReadInfo as _raftvec_v1_ReadInfo, ReadInfo__Output as _raftvec_v1_ReadInfo__Output } from './raftvec/v1/ReadInfo.js';
import type { ReadOptions as _raftvec_v1_ReadOptions, ReadOptions__Output as _raftvec_v1_ReadOptions__Output } from './raftvec/v1/ReadOptions.js';
import type { ScoredPoint as _raftvec_v1_ScoredPoint, ScoredPoint__Output as _raftvec_v1_ScoredPoint__Output } from './raftvec/v1/ScoredPoint.js';
import type { ScrollRequest as _raftvec_v1_ScrollRequest, ScrollRequest__Output as _raftvec_v1_ScrollRequest__Output } from './raftvec/v1/ScrollRequest.js';
import type { ScrollResponse as _raftvec_v1_ScrollResponse, ScrollResponse__Output as _raftvec_v1_ScrollResponse__Output } from './raftvec/v1/ScrollResponse.js';
import type { SearchRequest as _raftvec_v1_SearchRequest, SearchRequest__Output as _raftvec_v1_SearchRequest__Output } from './raftvec/v1/SearchRequest.js';
import type { SearchResponse as _raftvec_v1_SearchResponse, SearchResponse__Output as _raftvec_v1_SearchResponse__Output } from './raftvec/v1/SearchResponse.js';
import type { SearchResult as _raftvec_v1_SearchResult, SearchResult__Output as _raftvec_v1_SearchResult__Output } from './raftvec/v1/SearchResult.js';
import type { SetPayloadOperation as _raftvec_v1_SetPayloadOperation, SetPayloadOperation__Output as _raftvec_v1_SetPayloadOperation__Output } from './raftvec/v1/SetPayloadOperation.js';
import type { SetPayloadRequest as _raftvec_v1_SetPayloadRequest, SetPayloadRequest__Output as _raftvec_v1_SetPayloadRequest__Output } from './raftvec/v1/SetPayloadRequest.js';
import type { UpdateBatchRequest as _raftvec_v1_UpdateBatchRequest, UpdateBatchRequest__Output as _raftvec_v1_UpdateBatchRequest__Output } from './raftvec/v1/UpdateBatchRequest.js';
import type { UpdateBatchResponse as _raftvec_v1_UpdateBatchResponse, UpdateBatchResponse__Output as _raftvec_v1_UpdateBatchResponse__Output } from './raftvec/v1/UpdateBatchResponse.js';
import type { UpsertOperation as _raftvec_v1_UpsertOperation, UpsertOperation__Output as _raftvec_v1_UpsertOperation__Output } from './raftvec/v1/UpsertOperation.js';
import type { UpsertRequest as _raftvec_v1_UpsertRequest, UpsertRequest__Output as _raftvec_v1_UpsertRequest__Output } from './raftvec/v1/UpsertRequest.js';
import type { VectorServiceClient as _raftvec_v1_VectorServiceClient, VectorServiceDefinition as _raftvec_v1_VectorServiceDefinition } from './raftvec/v1/VectorService.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from './raftvec/v1/WriteOptions.js';
import type { WriteResponse as _raftvec_v1_WriteResponse, WriteResponse__Output as _raftvec_v1_WriteResponse__Output } from './raftvec/v1/WriteResponse.js';
import type { WriteStreamError as _raftvec_v1_WriteStreamError, WriteStreamError__Output as _raftvec_v1_WriteStreamError__Output } from './raftvec/v1/WriteStreamError.js';
import type { WriteStreamRequest as _raftvec_v1_WriteStreamRequest, WriteStreamRequest__Output as _raftvec_v1_WriteStreamRequest__Output } from './raftvec/v1/WriteStreamRequest.js';
import type { WriteStreamResponse as _raftvec_v1_WriteStreamResponse, WriteStreamResponse__Output as _raftvec_v1_WriteStreamResponse__Output } from './raftvec/v1/WriteStreamResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      ListValue: MessageTypeDefinition<_google_protobuf_ListValue, _google_protobuf_ListValue__Output>
      NullValue: EnumTypeDefinition
      Struct: MessageTypeDefinition<_google_protobuf_Struct, _google_protobuf_Struct__Output>
      Value: MessageTypeDefinition<_google_protobuf_Value, _google_protobuf_Value__Output>
    }
  }
  raftvec: {
    v1: {
      BatchOperation: MessageTypeDefinition<_raftvec_v1_BatchOperation, _raftvec_v1_BatchOperation__Output>
      CollectionInfo: MessageTypeDefinition<_raftvec_v1_CollectionInfo, _raftvec_v1_CollectionInfo__Output>
      Condition: MessageTypeDefinition<_raftvec_v1_Condition, _raftvec_v1_Condition__Output>
      CountRequest: MessageTypeDefinition<_raftvec_v1_CountRequest, _raftvec_v1_CountRequest__Output>
      CountResponse: MessageTypeDefinition<_raftvec_v1_CountResponse, _raftvec_v1_CountResponse__Output>
      CreateCollectionRequest: MessageTypeDefinition<_raftvec_v1_CreateCollectionRequest, _raftvec_v1_CreateCollectionRequest__Output>
      CreateCollectionResponse: MessageTypeDefinition<_raftvec_v1_CreateCollectionResponse, _raftvec_v1_CreateCollectionResponse__Output>
      CreatePayloadIndexRequest: MessageTypeDefinition<_raftvec_v1_CreatePayloadIndexRequest, _raftvec_v1_CreatePayloadIndexRequest__Output>
      DatetimeRange: MessageTypeDefinition<_raftvec_v1_DatetimeRange, _raftvec_v1_DatetimeRange__Output>
      DeletePayloadKeysOperation: MessageTypeDefinition<_raftvec_v1_DeletePayloadKeysOperation, _raftvec_v1_DeletePayloadKeysOperation__Output>
      DeletePayloadKeysRequest: MessageTypeDefinition<_raftvec_v1_DeletePayloadKeysRequest, _raftvec_v1_DeletePayloadKeysRequest__Output>
      DeleteRequest: MessageTypeDefinition<_raftvec_v1_DeleteRequest, _raftvec_v1_DeleteRequest__Output>
      DescribeCollectionRequest: MessageTypeDefinition<_raftvec_v1_DescribeCollectionRequest, _raftvec_v1_DescribeCollectionRequest__Output>
      DropCollectionRequest: MessageTypeDefinition<_raftvec_v1_DropCollectionRequest, _raftvec_v1_DropCollectionRequest__Output>
      DropCollectionResponse: MessageTypeDefinition<_raftvec_v1_DropCollectionResponse, _raftvec_v1_DropCollectionResponse__Output>
      DropPayloadIndexRequest: MessageTypeDefinition<_raftvec_v1_DropPayloadIndexRequest, _raftvec_v1_DropPayloadIndexRequest__Output>
      Filter: MessageTypeDefinition<_raftvec_v1_Filter, _raftvec_v1_Filter__Output>
      GetRequest: MessageTypeDefinition<_raftvec_v1_GetRequest, _raftvec_v1_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_raftvec_v1_GetResponse, _raftvec_v1_GetResponse__Output>
      IdList: MessageTypeDefinition<_raftvec_v1_IdList, _raftvec_v1_IdList__Output>
      ListCollectionsRequest: MessageTypeDefinition<_raftvec_v1_ListCollectionsRequest, _raftvec_v1_ListCollectionsRequest__Output>
      ListCollectionsResponse: MessageTypeDefinition<_raftvec_v1_ListCollectionsResponse, _raftvec_v1_ListCollectionsResponse__Output>
      Metric: EnumTypeDefinition
      PayloadIndexInfo: MessageTypeDefinition<_raftvec_v1_PayloadIndexInfo, _raftvec_v1_PayloadIndexInfo__Output>
      PayloadIndexType: EnumTypeDefinition
      Point: MessageTypeDefinition<_raftvec_v1_Point, _raftvec_v1_Point__Output>
      PointSelection: MessageTypeDefinition<_raftvec_v1_PointSelection, _raftvec_v1_PointSelection__Output>
      QueryVector: MessageTypeDefinition<_raftvec_v1_QueryVector, _raftvec_v1_QueryVector__Output>
      Range: MessageTypeDefinition<_raftvec_v1_Range, _raftvec_v1_Range__Output>
      ReadConsistency: EnumTypeDefinition
      ReadInfo: MessageTypeDefinition<_raftvec_v1_ReadInfo, _raftvec_v1_ReadInfo__Output>
      ReadOptions: MessageTypeDefinition<_raftvec_v1_ReadOptions, _raftvec_v1_ReadOptions__Output>
      ScoredPoint: MessageTypeDefinition<_raftvec_v1_ScoredPoint, _raftvec_v1_ScoredPoint__Output>
      ScrollRequest: MessageTypeDefinition<_raftvec_v1_ScrollRequest, _raftvec_v1_ScrollRequest__Output>
      ScrollResponse: MessageTypeDefinition<_raftvec_v1_ScrollResponse, _raftvec_v1_ScrollResponse__Output>
      SearchRequest: MessageTypeDefinition<_raftvec_v1_SearchRequest, _raftvec_v1_SearchRequest__Output>
      SearchResponse: MessageTypeDefinition<_raftvec_v1_SearchResponse, _raftvec_v1_SearchResponse__Output>
      SearchResult: MessageTypeDefinition<_raftvec_v1_SearchResult, _raftvec_v1_SearchResult__Output>
      SetPayloadOperation: MessageTypeDefinition<_raftvec_v1_SetPayloadOperation, _raftvec_v1_SetPayloadOperation__Output>
      SetPayloadRequest: MessageTypeDefinition<_raftvec_v1_SetPayloadRequest, _raftvec_v1_SetPayloadRequest__Output>
      UpdateBatchRequest: MessageTypeDefinition<_raftvec_v1_UpdateBatchRequest, _raftvec_v1_UpdateBatchRequest__Output>
      UpdateBatchResponse: MessageTypeDefinition<_raftvec_v1_UpdateBatchResponse, _raftvec_v1_UpdateBatchResponse__Output>
      UpsertOperation: MessageTypeDefinition<_raftvec_v1_UpsertOperation, _raftvec_v1_UpsertOperation__Output>
      UpsertRequest: MessageTypeDefinition<_raftvec_v1_UpsertRequest, _raftvec_v1_UpsertRequest__Output>
      VectorService: SubtypeConstructor<typeof grpc.Client, _raftvec_v1_VectorServiceClient> & { service: _raftvec_v1_VectorServiceDefinition }
      WriteConcern: EnumTypeDefinition
      WriteOptions: MessageTypeDefinition<_raftvec_v1_WriteOptions, _raftvec_v1_WriteOptions__Output>
      WriteResponse: MessageTypeDefinition<_raftvec_v1_WriteResponse, _raftvec_v1_WriteResponse__Output>
      WriteStreamError: MessageTypeDefinition<_raftvec_v1_WriteStreamError, _raftvec_v1_WriteStreamError__Output>
      WriteStreamRequest: MessageTypeDefinition<_raftvec_v1_WriteStreamRequest, _raftvec_v1_WriteStreamRequest__Output>
      WriteStreamResponse: MessageTypeDefinition<_raftvec_v1_WriteStreamResponse, _raftvec_v1_WriteStreamResponse__Output>
    }
  }
}

