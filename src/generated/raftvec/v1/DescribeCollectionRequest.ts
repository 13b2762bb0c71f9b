// Original file: proto/raftvec/v1/vector.proto


export interface DescribeCollectionRequest {
  'name'?: (string);
}

export interface DescribeCollectionRequest__Output {
  'name': (string);
}
