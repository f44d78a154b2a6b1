/** A chat, SMS or social session as a conversation: who said what and when; joins and leaves as events. */
import type { Message } from '../api';
import { formatDateTime } from '../format';

export function Conversation({ messages }: { messages: Message[] }) {
  return (
    <section aria-labelledby="conversation-title">
      <h2 id="conversation-title">Conversation</h2>
      <ol className="conversation">
        {messages.map((m) => {
          const who = m.from.nickname ?? m.from.type;
          const side = m.from.type.toLowerCase() === 'customer' ? 'them' : 'us';
          if (m.type !== 'Text' || !m.text)
            return (
              <li key={m.index} className="event">
                {who} {eventText(m.type)} · <time dateTime={m.timestamp}>{formatDateTime(m.timestamp, true)}</time>
              </li>
            );
          return (
            <li key={m.index} className={`bubble ${side}`}>
              <div className="meta">
                <strong>{who}</strong> <span className="muted">({m.from.type})</span> ·{' '}
                <time dateTime={m.timestamp}>{formatDateTime(m.timestamp, true)}</time>
              </div>
              <p>{m.text}</p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function eventText(type: string): string {
  switch (type) {
    case 'ParticipantJoined':
      return 'joined';
    case 'ParticipantLeft':
      return 'left';
    default:
      return type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}
