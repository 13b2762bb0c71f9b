// Original file: proto/raftvec/v1/command.proto


export interface DropCollectionCommand {
  'name'?: (string);
}

export interface DropCollectionCommand__Output {
  'name': (string);
}
