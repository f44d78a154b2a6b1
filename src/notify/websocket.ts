/**
 * Websocket connections to the CometD endpoint, accepted here rather than by
 * faye's adapter for two reasons. faye binds a socket to the clientId of any
 * `/meta/connect` it carries *before* its extensions run, so a socket could
 * take over another principal's deliveries by naming its clientId: every
 * message is admitted first (SessionAuthentication.admit). And faye does not
 * pass a frame size limit to faye-websocket, whose default is 64 MiB.
 * Otherwise this is faye's own upgrade handler (faye 1.4, node_adapter.js).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type BayeuxMessage, type FayeProtocolServer, FayeWebSocket } from './faye.js';
import type { SessionAuthentication } from './handshake-authentication.js';
import { wellFormed } from './message-shape.js';

export function acceptWebSocket(
  server: FayeProtocolServer,
  guard: SessionAuthentication,
  maxFrameBytes: number,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  let ws: FayeWebSocket | null = null;
  // Closed unless it proves a principal in time, and when a principal it serves no longer proves itself
  // (socket-registry.ts, handshake-authentication.ts); refused while too many sockets are unproven.
  const forget = guard.sockets.open(request, () => ws?.close());
  if (!forget) {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  ws = new FayeWebSocket(request, socket, head, [], { maxLength: maxFrameBytes, extensions: [] });
  let clientId: string | null = null;
  // Frames are handled one after another, in order, although admitting one may wait for authentication.
  let previous = Promise.resolve();
  (request as IncomingMessage & { originalUrl?: string }).originalUrl = request.url;

  const handle = async (data: string) => {
    let messages: BayeuxMessage[];
    try {
      const parsed = JSON.parse(data) as unknown;
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      messages = [parsed as unknown].flat().map(wellFormed);
    } catch {
      ws?.close();
      return;
    }
    const refusals = await Promise.all(messages.map((m) => guard.admit(m, request)));
    if (refusals.some((r) => r !== undefined)) {
      const replies = messages.map((m, i) => ({
        channel: m.channel,
        ...(m.id === undefined ? {} : { id: m.id }),
        successful: false,
        error: refusals[i] ?? refusals.find((r) => r !== undefined),
        advice: { reconnect: 'none' },
      }));
      ws?.send(JSON.stringify(replies));
      return;
    }
    const cid = messages.find((m) => m.channel === '/meta/connect')?.clientId ?? null;
    if (clientId && cid && cid !== clientId) server.closeSocket(clientId, false);
    if (cid && ws) server.openSocket(cid, ws, request);
    if (cid) clientId = cid;
    server.process(messages, request, (replies) => {
      ws?.send(JSON.stringify(replies));
    });
  };

  ws.onmessage = (event) => {
    previous = previous.then(() => handle(event.data)).catch(() => ws?.close());
  };
  ws.onclose = () => {
    forget();
    server.closeSocket(clientId);
    ws = null;
  };
}
