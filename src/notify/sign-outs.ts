/**
 * A sign-out ends the user's live sessions too, on every node: a websocket
 * opened with a session cookie stays open after its cookie is signed out, and
 * faye pushes that user's results onto it without asking again (session 6).
 * The node where the user signed out closes its own sockets at once and tells
 * the others (cluster events: Redis in a cluster), which first note the
 * sign-out, so their check of each socket's cookie sees it, then close theirs.
 */
import type { Authenticator, SignOut } from '../auth/authenticator.js';
import type { ClusterEvents } from '../cluster/coordination.js';
import type { BayeuxServer } from './bayeux-server.js';
import { userRecipient } from './notifier.js';

const SIGNED_OUT = 'signed-out';

export function endSessionsOnSignOut(auth: Authenticator, bayeux: BayeuxServer, events: ClusterEvents): () => void {
  const end = (signOut: SignOut) => {
    void bayeux.endSessions(userRecipient(signOut.tenantId, signOut.userId));
  };
  const stopListening = events.subscribe(SIGNED_OUT, (payload) => {
    const signOut = payload as SignOut;
    auth.heardSignOut(signOut);
    end(signOut);
  });
  const stopAnnouncing = auth.onSignOut((signOut) => {
    // Here at once; the event reaches this node too (a second check finds the sockets already closed).
    end(signOut);
    events.publish(SIGNED_OUT, signOut);
  });
  return () => {
    stopAnnouncing();
    stopListening();
  };
}
