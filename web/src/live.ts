/**
 * The live feed: a CometD subscription to the native channel `/v1/interactions`
 * on ixvault's Bayeux server. The session cookie authenticates the handshake;
 * the server sends each user only interactions they may see (ids, not records).
 */
export const LIVE_CHANNEL = '/v1/interactions';

export interface LiveEvent {
  id: string;
  guid: string;
  created: boolean;
  mediaType: string;
  startDate: string;
}

export type LiveState = 'connecting' | 'live' | 'offline';

export function subscribeLive(onEvent: (event: LiveEvent) => void, onState: (state: LiveState) => void): () => void {
  let stopped = false;
  let disconnect = () => {};
  onState('connecting');
  import('cometd').then(
    ({ CometD }) => {
      if (stopped) return;
      const cometd = new CometD();
      // No worker scheduler: it runs from a blob: URL, which the page's CSP (scripts from this origin only) refuses.
      cometd.configure({ url: `${window.location.origin}/api/v2/notifications`, logLevel: 'warn', useWorkerScheduler: false });
      cometd.addListener('/meta/handshake', (reply) => {
        if (!reply.successful) return onState('offline');
        cometd.subscribe(
          LIVE_CHANNEL,
          (message) => onEvent(message.data as LiveEvent),
          (subscribed) => onState(subscribed.successful ? 'live' : 'offline'),
        );
      });
      cometd.addListener('/meta/connect', (reply) => {
        if (!stopped && !reply.successful) onState('offline');
      });
      cometd.handshake();
      disconnect = () => cometd.disconnect();
    },
    () => onState('offline'),
  );
  return () => {
    stopped = true;
    disconnect();
  };
}
