import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

interface Trap {
  /** Text of the client request to catch (its SQL travels as plain text). */
  match: string;
  /** Runs once MySQL has started answering the caught transaction's COMMIT, before the connection goes. */
  beforeDrop: () => Promise<void>;
  sprung: () => void;
}

/**
 * A TCP proxy in front of MariaDB that loses one answer: the transaction it is told to catch
 * reaches MySQL, which runs and commits it and answers, but the answer to its COMMIT never
 * reaches the client, whose connection is closed instead, as when MySQL is killed between a
 * COMMIT and its reply. The request with the text to catch arms the connection; answers pass
 * until the client sends a COMMIT (in the same request, as a one-trip transaction does, or in a
 * later one). Everything else passes through untouched.
 */
export class AnswerDroppingProxy {
  private trap?: Trap;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly upstreamUrl: URL,
  ) {}

  /** A proxy in front of the MySQL server at `serverUrl` (`mysql://user@host:port`). */
  static async start(serverUrl: string): Promise<AnswerDroppingProxy> {
    const upstreamUrl = new URL(serverUrl);
    const server = net.createServer();
    const proxy = new AnswerDroppingProxy(server, upstreamUrl);
    server.on('connection', (client) => proxy.relay(client, net.connect(Number(upstreamUrl.port || 3306), upstreamUrl.hostname)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The server URL to connect through: the upstream's, credentials and all, at the proxy's address. */
  get url(): string {
    const url = new URL(this.upstreamUrl.href);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.href.replace(/\/$/, '');
  }

  /** Catches the next transaction with a request containing `match`; resolves once its COMMIT's answer was dropped with its connection. */
  dropAnswerTo(match: string, beforeDrop: () => Promise<void>): Promise<void> {
    return new Promise((sprung) => (this.trap = { match, beforeDrop, sprung }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket, upstream: Socket): void {
    let caught: Trap | undefined;
    let committing = false;
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.trap && !caught && chunk.includes(this.trap.match)) [caught, this.trap] = [this.trap, undefined];
      if (caught && chunk.includes('COMMIT')) committing = true;
      upstream.write(chunk);
    });
    let dropping = false;
    upstream.on('data', (chunk: Buffer) => {
      if (!caught || !committing) return void client.write(chunk);
      if (dropping) return;
      dropping = true;
      const trap = caught;
      void trap.beforeDrop().finally(() => {
        client.destroy();
        trap.sprung();
      });
    });
  }
}
