import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { testCertificate } from './tls.ts';

/**
 * HTTPS server on 127.0.0.1 that tests can stop and restart on the same port (a KMS outage),
 * make stall (accept requests, never answer: the SDK must time out), or make fail every call
 * with a status (5xx, throttling).
 */
export type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => unknown;

export class LocalHttpsServer {
  readonly #handler: Handler;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #port = 0;
  stalled = false;
  /** Answer every request with this instead (e.g. a 503 or a throttling error). */
  override: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  requests = 0;

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    const { key, cert } = testCertificate();
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        if (this.stalled) return; // hold the connection open, never answer
        if (this.override) return this.override(req, res);
        Promise.resolve(this.#handler(req, Buffer.concat(chunks), res)).catch((err) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(err) }));
        });
      });
    });
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
    return this;
  }

  /** Connection refused from now on (until start()). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
