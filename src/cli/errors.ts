/** The CLI's own errors: how it exits (see reportError in main.ts). */

/** A usage problem found by the CLI itself (exit code 2). */
export class UsageError extends Error {}
/** A failure with a message that says it all (exit code 1, no stack). */
export class CliError extends Error {}
