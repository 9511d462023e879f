import { serve, type ServerType } from '@hono/node-server';
import type { Services } from './app/services.ts';
import { createApp } from './http/app.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(services: Services): Promise<RunningServer> {
  const { app, mcpSessions } = createApp(services);
  const { port, host } = services.config;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
  });
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
