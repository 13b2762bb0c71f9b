// Original file: proto/raftvec/v1/vector.proto

export const PayloadIndexType = {
  /**
   * refused: name the type
   */
  PAYLOAD_INDEX_TYPE_UNSPECIFIED: 'PAYLOAD_INDEX_TYPE_UNSPECIFIED',
  /**
   * strings: equals, in
   */
  PAYLOAD_INDEX_TYPE_KEYWORD: 'PAYLOAD_INDEX_TYPE_KEYWORD',
  /**
   * integers: equals, in, range
   */
  PAYLOAD_INDEX_TYPE_INTEGER: 'PAYLOAD_INDEX_TYPE_INTEGER',
  /**
   * numbers: equals, in, range
   */
  PAYLOAD_INDEX_TYPE_FLOAT: 'PAYLOAD_INDEX_TYPE_FLOAT',
  /**
   * booleans: equals, in
   */
  PAYLOAD_INDEX_TYPE_BOOL: 'PAYLOAD_INDEX_TYPE_BOOL',
  /**
   * RFC 3339 strings: datetime_range
   */
  PAYLOAD_INDEX_TYPE_DATETIME: 'PAYLOAD_INDEX_TYPE_DATETIME',
} as const;

export type PayloadIndexType =
  /**
   * refused: name the type
   */
  | 'PAYLOAD_INDEX_TYPE_UNSPECIFIED'
  | 0
  /**
   * strings: equals, in
   */
  | 'PAYLOAD_INDEX_TYPE_KEYWORD'
  | 1
  /**
   * integers: equals, in, range
   */
  | 'PAYLOAD_INDEX_TYPE_INTEGER'
  | 2
  /**
   * numbers: equals, in, range
   */
  | 'PAYLOAD_INDEX_TYPE_FLOAT'
  | 3
  /**
   * booleans: equals, in
   */
  | 'PAYLOAD_INDEX_TYPE_BOOL'
  | 4
  /**
   * RFC 3339 strings: datetime_range
   */
  | 'PAYLOAD_INDEX_TYPE_DATETIME'
  | 5

export type PayloadIndexType__Output = typeof PayloadIndexType[keyof typeof PayloadIndexType]
