/**
 * The native live channel: each interaction stored through the native API (or
 * any Vault upsert), on any node of a cluster, is announced on `/v1/interactions`
 * to the signed-in users subscribed who may see it (visibility as for every read:
 * their tenant, and for an agent only what it owns or handled). The message
 * carries ids only; a client reads the record through the API, which checks
 * visibility again.
 */
import type { Directory } from '../auth/directory.js';
import type { ClusterEvents } from '../cluster/coordination.js';
import { type Principal, visibilityOf } from '../domain/principal.js';
import { mayPerform } from '../domain/scopes.js';
import type { IngestedInteraction, Vault } from '../services/vault.js';
import type { Notifier, Recipient } from './notifier.js';

export const LIVE_CHANNEL = '/v1/interactions';

/**
 * Every node announces what it stored to every node (cluster events: Redis in
 * a cluster, a direct call in one process), and each node tells its own
 * subscribed sessions.
 */
export function mountLiveFeed(
  vault: Vault,
  notifier: Notifier,
  /** The principals as they are now (a reload replaces them): who may hear what is decided at each announcement. */
  directory: () => Directory,
  events: ClusterEvents,
): () => void {
  const stopListening = events.subscribe(INGESTED, (payload) => {
    const { tenantId, stored } = payload as Ingested;
    announce(notifier, directory(), tenantId, stored);
  });
  const stopAnnouncing = vault.onIngested((tenantId, stored) => {
    events.publish(INGESTED, { tenantId, stored } satisfies Ingested);
  });
  return () => {
    stopAnnouncing();
    stopListening();
  };
}

const INGESTED = 'ingested';

interface Ingested {
  tenantId: string;
  stored: IngestedInteraction[];
}

function announce(notifier: Notifier, directory: Directory, tenantId: string, stored: IngestedInteraction[]): void {
  for (const recipient of notifier.listening(LIVE_CHANNEL)) {
    const principal = userOf(directory, recipient);
    // The same right as reading the record through any API (the scope table).
    if (principal?.tenant.id !== tenantId || !mayPerform(principal, 'interaction.read')) continue;
    for (const interaction of stored) {
      if (!maySee(principal, interaction)) continue;
      // Every node announces to its own sessions: through the hub, a user's sessions would hear it once per node.
      notifier.deliverHere(recipient, LIVE_CHANNEL, {
        id: interaction.id,
        guid: interaction.guid,
        created: interaction.created,
        mediaType: interaction.mediaType,
        startDate: new Date(interaction.startMs).toISOString(),
      });
    }
  }
}

/** The user a recipient names (`tenant/user/id`), as the directory holds it now; clients get no live feed. */
function userOf(directory: Directory, recipient: Recipient): Principal | undefined {
  const [tenantId, kind, ...rest] = recipient.split('/');
  if (kind !== 'user') return undefined;
  const user = directory.usersById.get(`${tenantId}/${rest.join('/')}`);
  if (!user) return undefined;
  return { kind: 'user', tenant: user.tenant, id: user.id, userName: user.userName, role: user.role };
}

function maySee(principal: Principal, interaction: IngestedInteraction): boolean {
  const { agentId } = visibilityOf(principal);
  return agentId === undefined || interaction.ownerId === agentId || interaction.handlingAgentIds.includes(agentId);
}
