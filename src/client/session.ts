/**
 * A client session: read-your-writes and monotonic reads across replicas.
 *
 * The session's token is the highest Raft log index it has seen: each write's log
 * index, and each read's applied index. A SESSION read sends it, and any replica
 * answers once it has applied that far, so a read never misses a write made through
 * the session, nor goes back behind an earlier read, even across a failover or a
 * move to another replica. A token is a plain number: store it
 * (`session.token`, or `String(session)`) to carry the guarantee across a restart
 * of the client, and resume with `Session.resume(token)`.
 */
export class Session {
  #token: number;

  constructor(token = 0) {
    Session.#check(token);
    this.#token = token;
  }

  /** A session that continues from a stored token (a number, or its decimal text). */
  static resume(token: number | string): Session {
    const n = typeof token === 'string' ? Number(token.trim()) : token;
    if (typeof token === 'string' && !/^\d+$/.test(token.trim()))
      throw new TypeError(`a session token is a log index (digits), got ${JSON.stringify(token)}`);
    return new Session(n);
  }

  static #check(token: number): void {
    if (!Number.isSafeInteger(token) || token < 0)
      throw new TypeError(`a session token is a log index from 0 to 2^53-1, got ${token}`);
  }

  /** The highest log index this session has seen. */
  get token(): number {
    return this.#token;
  }

  /** Records a log index the session has seen (a write's, or a read's applied index). */
  observe(index: number): void {
    if (Number.isSafeInteger(index) && index > this.#token) this.#token = index;
  }

  toString(): string {
    return String(this.#token);
  }

  toJSON(): number {
    return this.#token;
  }
}
