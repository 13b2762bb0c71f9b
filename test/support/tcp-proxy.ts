/**
 * A TCP proxy on loopback that a test can cut and heal: the network partition of
 * a real cluster. While cut, it drops every open connection and resets new ones.
 * It can also hold back the server's answers while requests still go through: a
 * call whose request arrived but whose answer the client never gets.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private answersDropped = false;

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static async start(target: string): Promise<TcpProxy> {
    const separator = target.lastIndexOf(':');
    const targetHost = target.slice(0, separator);
    const targetPort = Number(target.slice(separator + 1));
    const self: { proxy?: TcpProxy } = {}; // set once the server is bound
    const server = createServer((client) => {
      const proxy = self.proxy;
      if (proxy === undefined || proxy.cutOff) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, targetHost);
      proxy.track(client);
      proxy.track(upstream);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!proxy.answersDropped) client.write(chunk);
      });
      upstream.on('end', () => client.end());
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null) throw new Error('proxy did not bind');
    self.proxy = new TcpProxy(server, `127.0.0.1:${bound.port}`);
    return self.proxy;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Drops every connection through this proxy and refuses new ones until heal(). */
  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.cutOff = false;
    this.answersDropped = false;
  }

  /** From now on, bytes from the target are dropped; bytes to it still go through. */
  dropAnswers(): void {
    this.answersDropped = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
