// Original file: proto/raftvec/v1/command.proto


/**
 * Filters travel as the JSON of the domain's Filter (src/domain.ts): apply validates
 * them again, like every other input.
 */
export interface DeleteByFilterCommand {
  'collection'?: (string);
  'filterJson'?: (string);
}

/**
 * Filters travel as the JSON of the domain's Filter (src/domain.ts): apply validates
 * them again, like every other input.
 */
export interface DeleteByFilterCommand__Output {
  'collection': (string);
  'filterJson': (string);
}
