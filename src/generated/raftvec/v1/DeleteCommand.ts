// Original file: proto/raftvec/v1/command.proto


export interface DeleteCommand {
  'collection'?: (string);
  'ids'?: (string)[];
}

export interface DeleteCommand__Output {
  'collection': (string);
  'ids': (string)[];
}
