// Original file: proto/raftvec/v1/vector.proto


export interface GetRequest {
  'collection'?: (string);
  'ids'?: (string)[];
  'withVector'?: (boolean);
  'withMetadata'?: (boolean);
}

export interface GetRequest__Output {
  'collection': (string);
  'ids': (string)[];
  'withVector': (boolean);
  'withMetadata': (boolean);
}
