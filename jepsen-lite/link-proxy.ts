/**
 * A fault-injecting TCP proxy on one directed peer link (node A dialling node B):
 * A's --peers map names this proxy as B's address, so every byte A sends to B, and
 * every answer on those connections, passes through here.
 *
 *   open     bytes pass, after `delay` ± `jitter` ms if set (order kept)
 *   drop     every connection is reset, new ones too: a partition that fails fast
 *   stall    bytes are held (the senders' TCP windows fill), then delivered late
 *            on heal: a partition that looks like a very slow network
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Rng } from './random.js';

export type LinkMode = 'open' | 'drop' | 'stall';

/** Bytes held per direction of a connection before the sender is paused (TCP back-pressure). */
const MAX_HELD_BYTES = 8 * 1024 * 1024;

interface HeldChunk {
  bytes: Buffer;
  /** performance.now() before which the chunk must not be delivered. */
  releaseAt: number;
}

/** One direction of one proxied connection: `from` → `to`, through a queue the link controls. */
class Pipe {
  readonly #queue: HeldChunk[] = [];
  #heldBytes = 0;
  #lastRelease = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The sender has finished (FIN): once the held bytes are delivered, so is this direction. */
  #senderEnded = false;
  #ended = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket,
    private readonly link: LinkProxy,
    private readonly onEnded: () => void,
  ) {
    from.on('data', (bytes: Buffer) => this.accept(bytes));
    from.on('end', () => {
      this.#senderEnded = true;
      this.pump();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  private accept(bytes: Buffer): void {
    // Never before an earlier chunk: jitter may not reorder a byte stream.
    const releaseAt = Math.max(this.#lastRelease, performance.now() + this.link.nextDelayMs());
    this.#lastRelease = releaseAt;
    this.#queue.push({ bytes, releaseAt });
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > MAX_HELD_BYTES) this.from.pause();
    this.pump();
  }

  /** Delivers every chunk that is due, unless the link is stalled. */
  pump(): void {
    if (this.link.mode !== 'open' || this.to.destroyed) return;
    const now = performance.now();
    while (this.#queue.length > 0 && this.#queue[0]!.releaseAt <= now) {
      const chunk = this.#queue.shift()!;
      this.#heldBytes -= chunk.bytes.length;
      this.to.write(chunk.bytes);
    }
    if (this.#heldBytes <= MAX_HELD_BYTES && this.from.isPaused()) this.from.resume();
    const head = this.#queue[0];
    if (head === undefined && this.#senderEnded && !this.#ended) {
      // A closing sender's last bytes arrive first, then its FIN: held bytes are not lost.
      this.#ended = true;
      this.to.end();
      this.onEnded();
      return;
    }
    if (head !== undefined && this.#timer === undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.pump();
        },
        Math.max(0, head.releaseAt - now),
      );
    }
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

export class LinkProxy {
  #mode: LinkMode = 'open';
  #delayMs = 0;
  #jitterMs = 0;
  readonly #pipes = new Set<Pipe>();
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly from: string,
    readonly to: string,
    readonly address: string,
    private readonly server: Server,
    private readonly random: Rng,
  ) {}

  /** Listens on a free loopback port and forwards to `target` (host:port). */
  static async start(from: string, to: string, target: string, random: Rng): Promise<LinkProxy> {
    const separator = target.lastIndexOf(':');
    const host = target.slice(0, separator);
    const port = Number(target.slice(separator + 1));
    const holder: { link?: LinkProxy } = {};
    // Half-open: a sender's FIN must wait behind the bytes the link still holds.
    const server = createServer({ allowHalfOpen: true }, (client) =>
      holder.link?.adopt(client, host, port),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null) throw new Error('link proxy did not bind');
    holder.link = new LinkProxy(from, to, `127.0.0.1:${bound.port}`, server, random);
    return holder.link;
  }

  get mode(): LinkMode {
    return this.#mode;
  }

  /** The delay of the next chunk: `delay` plus a uniform jitter in [-jitter, +jitter], never negative. */
  nextDelayMs(): number {
    if (this.#delayMs === 0 && this.#jitterMs === 0) return 0;
    const jitter = (this.random.next() * 2 - 1) * this.#jitterMs;
    return Math.max(0, this.#delayMs + jitter);
  }

  private adopt(client: Socket, host: string, port: number): void {
    if (this.#mode === 'drop') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ port, host, allowHalfOpen: true });
    // The pair is torn down on an error, or once both directions have ended.
    const ended = (): void => {
      if (pipes.every((p) => p.ended)) close();
    };
    const pipes = [
      new Pipe(client, upstream, this, ended),
      new Pipe(upstream, client, this, ended),
    ];
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      // A reset (drop) emits no error: a closed socket ends the pair too.
      socket.on('error', () => close());
      socket.on('close', () => close());
    }
    for (const pipe of pipes) this.#pipes.add(pipe);
    const close = (): void => {
      for (const pipe of pipes) {
        pipe.close();
        this.#pipes.delete(pipe);
      }
      for (const socket of [client, upstream]) {
        this.#sockets.delete(socket);
        socket.destroy();
      }
    };
  }

  /** Resets every connection and refuses new ones until heal(). */
  drop(): void {
    this.#mode = 'drop';
    for (const socket of this.#sockets) socket.resetAndDestroy();
  }

  /** Holds every byte until heal(). */
  stall(): void {
    this.#mode = 'stall';
  }

  /** Adds latency to every chunk from now on (0, 0 removes it). */
  setDelay(delayMs: number, jitterMs: number): void {
    this.#delayMs = delayMs;
    this.#jitterMs = jitterMs;
  }

  /** Back to open: held bytes are delivered, late. Delay settings stay as they are. */
  heal(): void {
    this.#mode = 'open';
    for (const pipe of this.#pipes) pipe.pump();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
