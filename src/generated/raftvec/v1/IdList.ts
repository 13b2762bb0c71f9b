// Original file: proto/raftvec/v1/vector.proto


export interface IdList {
  'ids'?: (string)[];
}

export interface IdList__Output {
  'ids': (string)[];
}
