/**
 * A TCP link between ixvault and one of its dependencies (PostgreSQL, Redis,
 * S3), which a test cuts and mends: the dependency as a running server sees
 * it, without stopping the shared server every other test file of the run
 * uses. Three states:
 * - `up`: bytes pass both ways;
 * - `down`: connections are reset and new ones refused (a server restarting,
 *   a node crashed): ECONNRESET in flight, ECONNREFUSED after;
 * - `silent`: connections stay open and nothing passes either way, new ones
 *   are accepted and never answered (a server stopped with SIGSTOP, a network
 *   partition behind a firewall that drops packets): only a timeout of the
 *   client's own ever ends a statement.
 */
import { createServer, type Server, Socket } from 'node:net';

export type LinkState = 'up' | 'down' | 'silent';

export class Link {
  private state: LinkState = 'up';
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held = new Set<Socket>();
  private server: Server | undefined;
  /** Connections accepted so far (a reconnection shows here). */
  accepted = 0;
  /** Bytes passed to the dependency so far (an upload under way shows here). */
  bytesSent = 0;
  /** Bytes passed from the dependency so far. */
  bytesReceived = 0;
  /**
   * The client's turns: data it sent after the dependency last spoke on that connection (or first). Statements
   * sent one by one take a turn each; statements pipelined together, one: the round trips a client made.
   */
  turns = 0;
  /** Where bytesReceived makes the link go silent (silentAfter). */
  private silenceAt = Number.POSITIVE_INFINITY;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    readonly port: number,
  ) {}

  /** A link to host:port, listening on a free loopback port. */
  static async to(host: string, port: number): Promise<Link> {
    const probe = createServer();
    const free = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port));
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const link = new Link(host, port, free);
    await link.listen();
    return link;
  }

  /** The same URL with its host and port replaced by the link's. */
  static async forUrl(url: string, defaultPort: number): Promise<{ link: Link; url: string }> {
    const parsed = new URL(url);
    const link = await Link.to(parsed.hostname || '127.0.0.1', Number(parsed.port || defaultPort));
    parsed.hostname = '127.0.0.1';
    parsed.port = String(link.port);
    return { link, url: parsed.toString() };
  }

  get current(): LinkState {
    return this.state;
  }

  /** Resets every connection and refuses new ones. */
  async down(): Promise<void> {
    this.state = 'down';
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
    for (const socket of this.held) socket.resetAndDestroy();
    this.held.clear();
    await this.unlisten();
  }

  /** Nothing passes any more; connections stay open, new ones are accepted and left unanswered. */
  async silent(): Promise<void> {
    if (this.state === 'down') await this.listen();
    this.state = 'silent';
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  /**
   * Goes silent once `bytes` more have passed from the dependency: a body stalled in its middle, whatever the
   * sockets' buffers would otherwise have carried past the link before a test could cut it (they can hold tens of
   * MiB on loopback).
   */
  silentAfter(bytes: number): void {
    this.silenceAt = this.bytesReceived + bytes;
  }

  /** Bytes pass again; connections a silence stalled carry on. */
  async up(): Promise<void> {
    if (this.state === 'down') await this.listen();
    this.state = 'up';
    this.silenceAt = Number.POSITIVE_INFINITY;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
    // Accepted during a silence: they never reached the target, as a dropped SYN's retransmission would not.
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    await this.down();
  }

  private listen(): Promise<void> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private async unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.on('error', () => {});
    if (this.state !== 'up') {
      if (this.state === 'down') client.resetAndDestroy();
      else this.held.add(client);
      return;
    }
    const target = new Socket();
    target.on('error', () => client.destroy());
    client.on('error', () => target.destroy());
    const pair: [Socket, Socket] = [client, target];
    this.pairs.add(pair);
    const forget = () => this.pairs.delete(pair);
    client.on('close', () => {
      forget();
      target.destroy();
    });
    target.on('close', () => {
      forget();
      client.destroy();
    });
    let clientSpokeLast = false;
    client.on('data', (chunk: Buffer) => {
      this.bytesSent += chunk.length;
      if (!clientSpokeLast) this.turns++;
      clientSpokeLast = true;
    });
    target.on('data', (chunk: Buffer) => {
      clientSpokeLast = false;
      this.bytesReceived += chunk.length;
      if (this.bytesReceived >= this.silenceAt && this.state === 'up') void this.silent();
    });
    target.connect(this.targetPort, this.targetHost, () => {
      client.pipe(target);
      target.pipe(client);
      if (this.state === 'up') client.resume();
    });
  }
}
