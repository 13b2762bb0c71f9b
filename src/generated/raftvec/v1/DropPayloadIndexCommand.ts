// Original file: proto/raftvec/v1/command.proto


export interface DropPayloadIndexCommand {
  'collection'?: (string);
  'key'?: (string);
}

export interface DropPayloadIndexCommand__Output {
  'collection': (string);
  'key': (string);
}
