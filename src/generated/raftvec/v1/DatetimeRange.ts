// Original file: proto/raftvec/v1/vector.proto


export interface DatetimeRange {
  /**
   * RFC 3339 timestamps: "2024-05-01", "2024-05-01T12:30:00Z", "…+02:00" (none: UTC)
   */
  'gt'?: (string);
  'gte'?: (string);
  'lt'?: (string);
  'lte'?: (string);
  '_gt'?: "gt";
  '_gte'?: "gte";
  '_lt'?: "lt";
  '_lte'?: "lte";
}

export interface DatetimeRange__Output {
  /**
   * RFC 3339 timestamps: "2024-05-01", "2024-05-01T12:30:00Z", "…+02:00" (none: UTC)
   */
  'gt'?: (string);
  'gte'?: (string);
  'lt'?: (string);
  'lte'?: (string);
  '_gt'?: "gt";
  '_gte'?: "gte";
  '_lt'?: "lt";
  '_lte'?: "lte";
}
