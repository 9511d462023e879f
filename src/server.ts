import { serve, type ServerType } from '@hono/node-server';
import type { Services } from './app/services.ts';
import { createApp, type WardenApp } from './http/app.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** `extend` adds routes before the server starts (benchmarks add a bare route beside the real ones). */
export async function startHttpServer(services: Services, extend?: (app: WardenApp['app']) => void): Promise<RunningServer> {
  const { app, mcpSessions } = createApp(services);
  extend?.(app);
  const { port, host } = services.config;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
  });
  services.sweeper.start();
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    async close() {
      await mcpSessions.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
