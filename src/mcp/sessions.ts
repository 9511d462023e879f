import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

export interface McpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  /** The session belongs to this user in this tenant; another caller presenting its id gets 404. */
  owner: string;
  lastSeen: number;
  /** When this session was last told its tools changed (a change arrives locally and by NOTIFY). */
  toolsNotifiedAt?: number;
}

const NOTIFY_COALESCE_MS = 1000;

const IDLE_MS = 30 * 60_000;

/**
 * Sessions live in this process. Behind a load balancer, route by the Mcp-Session-Id header
 * (sticky); a server that does not know a session answers 404 and the client re-initialises.
 */
export class SessionTable {
  #sessions = new Map<string, McpSession>();
  #sweeper: NodeJS.Timeout;

  constructor() {
    this.#sweeper = setInterval(() => this.#sweep(), 60_000);
    this.#sweeper.unref();
  }

  get(id: string, owner: string): McpSession | undefined {
    const s = this.#sessions.get(id);
    if (!s || s.owner !== owner) return undefined;
    s.lastSeen = Date.now();
    return s;
  }

  add(id: string, session: McpSession): void {
    this.#sessions.set(id, session);
  }

  remove(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Tells clients their tool list may have changed (notifications/tools/list_changed) after a
   * role, binding or custom-role change: `userId` narrows it to that user's sessions. Clients
   * without an open GET stream simply re-list at their next call.
   */
  notifyToolsChanged(userId?: string): void {
    for (const s of this.#sessions.values()) {
      if (userId && !s.owner.startsWith(`${userId}:`)) continue;
      const now = Date.now();
      if (s.toolsNotifiedAt && now - s.toolsNotifiedAt < NOTIFY_COALESCE_MS) continue;
      s.toolsNotifiedAt = now;
      void s.server.sendToolListChanged().catch(() => {});
    }
  }

  #sweep(): void {
    const cutoff = Date.now() - IDLE_MS;
    for (const [id, s] of this.#sessions) if (s.lastSeen < cutoff) void s.transport.close().finally(() => this.#sessions.delete(id));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((s) => s.transport.close().catch(() => {})));
    this.#sessions.clear();
  }
}
