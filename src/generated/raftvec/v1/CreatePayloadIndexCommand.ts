// Original file: proto/raftvec/v1/command.proto


export interface CreatePayloadIndexCommand {
  'collection'?: (string);
  'key'?: (string);
  /**
   * "keyword" | "integer" | "float" | "bool" | "datetime"
   */
  'type'?: (string);
}

export interface CreatePayloadIndexCommand__Output {
  'collection': (string);
  'key': (string);
  /**
   * "keyword" | "integer" | "float" | "bool" | "datetime"
   */
  'type': (string);
}
