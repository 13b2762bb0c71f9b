/**
 * Metadata keys of the client API, named once: the server writes them and the client
 * reads them, so a typo on either side would silently break leader redirection.
 */

/**
 * Trailing metadata of a call refused by a node that is not the leader: the leader's
 * client address (HOST:PORT). The client sends its next attempt there.
 */
export const LEADER_ADDRESS_KEY = 'leader-address';

/** Sent with LEADER_ADDRESS_KEY: the leader's node id, for messages and tools. */
export const LEADER_ID_KEY = 'leader-id';

/**
 * Trailing metadata of a call refused because the node is not the leader, set even
 * when no leader is known (value: the refusing node's id). The call was refused
 * before anything was proposed, so a write refused this way was certainly not
 * applied: a client may resend it anywhere without a session.
 */
export const NOT_LEADER_KEY = 'not-leader';

/**
 * Trailing metadata of a write refused over a limit before anything was proposed
 * (RESOURCE_EXHAUSTED from the server itself, not from the transport): the write was
 * certainly not applied.
 */
export const NOT_PROPOSED_KEY = 'not-proposed';

/**
 * Trailing metadata of a SESSION or BOUNDED read a replica refused because its state
 * is not fresh enough: the replica's applied index. The client tries another replica
 * or the leader (LEADER_ADDRESS_KEY, when known).
 */
export const APPLIED_INDEX_KEY = 'applied-index';

/**
 * Trailing metadata of a call the server refused because it is overloaded, and that is
 * worth sending again (e.g. RESOURCE_EXHAUSTED from a full proposal queue): how long, in
 * milliseconds, the server suggests waiting first. A refusal without it (an entry too
 * large, a message over the size limit) would be refused again.
 */
export const RETRY_AFTER_MS_KEY = 'retry-after-ms';
