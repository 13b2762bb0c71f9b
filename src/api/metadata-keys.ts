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
