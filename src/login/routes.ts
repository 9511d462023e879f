import type { Hono } from 'hono';
import type { Services } from '../app/services.ts';
import type { AppEnv } from '../http/app-env.ts';

/** Browser sign-in pages (filled in by the login capability). */
export function mountLogin(app: Hono<AppEnv>, services: Services): void {
  void services;
  app.get('/login', (c) => c.html('<!doctype html><title>Warden</title><p>Sign-in is coming.</p>'));
}
