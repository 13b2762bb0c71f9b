// Original file: proto/raftvec/v1/command.proto


export interface CreateCollectionCommand {
  'name'?: (string);
  'dimension'?: (number);
  /**
   * "l2" | "ip" | "cosine"
   */
  'metric'?: (string);
  'indexSpec'?: (string);
}

export interface CreateCollectionCommand__Output {
  'name': (string);
  'dimension': (number);
  /**
   * "l2" | "ip" | "cosine"
   */
  'metric': (string);
  'indexSpec': (string);
}
