// Original file: proto/raftvec/v1/vector.proto


export interface Range {
  'gt'?: (number | string);
  'gte'?: (number | string);
  'lt'?: (number | string);
  'lte'?: (number | string);
  '_gt'?: "gt";
  '_gte'?: "gte";
  '_lt'?: "lt";
  '_lte'?: "lte";
}

export interface Range__Output {
  'gt'?: (number);
  'gte'?: (number);
  'lt'?: (number);
  'lte'?: (number);
  '_gt'?: "gt";
  '_gte'?: "gte";
  '_lt'?: "lt";
  '_lte'?: "lte";
}
