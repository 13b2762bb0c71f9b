// Original file: proto/raftvec/v1/vector.proto


export interface QueryVector {
  'values'?: (number | string)[];
}

export interface QueryVector__Output {
  'values': (number)[];
}
