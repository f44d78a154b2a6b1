/**
 * The Genesys Web Services-compatible APIs: the Interaction History and UCS
 * voice operations (`/api/v2/ucs`), IdentifyUCSContact (`/api/v2/contacts`),
 * the interaction resource where every `uri` points (`/api/v2/interactions`)
 * and email attachments (`/api/v2/emails`). Web Services return values on
 * every answer; asynchronous results on the CometD channel
 * `/v2/ucs/interactions` of the notifier, numbered by one AsyncResults so a
 * principal's referenceIds never repeat across these paths.
 */
import type { FastifyInstance } from 'fastify';
import type { EdgeLimits } from '../../config.js';
import type { Notifier } from '../../notify/index.js';
import type { Runtime } from '../../runtime.js';
import { AsyncResults } from './async-results.js';
import { contactRoutes } from './contact-routes.js';
import { contentRoutes } from './content-routes.js';
import { emailRoutes } from './email-routes.js';
import { historyRoutes } from './history-routes.js';
import { genesysInteractionResource } from './interaction-resource-route.js';
import { genesysScope } from './scope.js';

export { INTERACTIONS_CHANNEL } from './async-results.js';

/** Registered at the root: each part under its own prefix, each a Genesys scope. */
export async function genesysApi(
  app: FastifyInstance,
  {
    runtime,
    notifier,
    limits,
    resultHoldMs,
  }: { runtime: Runtime; notifier: Notifier; limits?: EdgeLimits; resultHoldMs: number },
) {
  // A result whose delivery failed (Redis down) is tried again as long as it would be held for a session.
  const results = new AsyncResults(notifier, runtime.coordination.sequences, app.log, limits, resultHoldMs);
  // Results still being computed need the store, which closes right after the app.
  app.addHook('onClose', () => results.drain());
  const vault = runtime.vault;
  await app.register(
    async (ucs) => {
      genesysScope(ucs, runtime);
      await ucs.register(historyRoutes, { vault, results });
      await ucs.register(contentRoutes, { vault, results });
    },
    { prefix: '/api/v2/ucs' },
  );
  await app.register(
    async (contacts) => {
      genesysScope(contacts, runtime);
      await contacts.register(contactRoutes, { vault, results });
    },
    { prefix: '/api/v2/contacts' },
  );
  await app.register(
    async (emails) => {
      genesysScope(emails, runtime);
      await emails.register(emailRoutes, { vault });
    },
    { prefix: '/api/v2/emails' },
  );
  await app.register(genesysInteractionResource, { prefix: '/api/v2/interactions', runtime });
}
