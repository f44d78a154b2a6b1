/** Notifications on `/api/v2/notifications`: the Bayeux server mounted on the app's HTTP server. */
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { BayeuxServer, type BayeuxServerOptions } from './bayeux-server.js';
import type { HttpGateOptions } from './http-gate.js';
import type { Notifier } from './notifier.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Bayeux server on NOTIFICATIONS_PATH. */
    notifications: BayeuxServer;
  }
}

export const NOTIFICATIONS_PATH = '/api/v2/notifications';

export interface NotificationsOptions {
  auth: Authenticator;
  channels: readonly string[];
  holdMs: number;
  timeoutSeconds: number;
  heldBytesPerRecipient: number;
  heldBytes: number;
  sessionsPerRecipient: number;
  socketProofMs: number;
  clientAddress: BayeuxServerOptions['clientAddress'];
  gate: HttpGateOptions;
  hub?: BayeuxServerOptions['hub'];
}

/**
 * Mounts the Bayeux server on the root app's HTTP server and closes it before
 * the server stops accepting (preClose), so that websockets and held
 * long-polls do not keep `app.close()` waiting.
 */
export function mountNotifications(app: FastifyInstance, options: NotificationsOptions): Notifier {
  const bayeux = new BayeuxServer({ ...options, log: app.log, mount: NOTIFICATIONS_PATH });
  bayeux.attach(app.server);
  app.decorate('notifications', bayeux);
  app.addHook('preClose', async () => bayeux.close());
  return bayeux;
}

export type { HttpGateOptions } from './http-gate.js';
export { type Delivery, type Notifier, type Recipient, recipientOf } from './notifier.js';
