import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, type ContentItem, contentUrl, type Interaction, type Session } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Conversation } from '../components/Conversation';
import { EmailBody } from '../components/EmailBody';
import type { PlayerHandle } from '../components/Player';
import { parseTranscript, type Segment, Transcript } from '../components/Transcript';
import { agentName, DIRECTIONS, durationOf, formatBytes, formatDateTime, formatDuration } from '../format';
import { lastSearchPath, linkProps, navigate } from '../router';

// The waveform player (wavesurfer.js) loads only when a recording is opened.
const Player = lazy(() => import('../components/Player'));

type Pending = { kind: 'interaction' } | { kind: 'content'; item: ContentItem };

const isAudio = (c: ContentItem) => c.contentType.startsWith('audio/') || c.contentType.startsWith('video/');
const isJson = (c: ContentItem) => c.contentType.startsWith('application/json');

/** `at`: a second of the recording to open at (a transcript hit of a text search links here with `?t=`). */
export function InteractionScreen({ id, source, at, session }: { id: string; source: string; at: number; session: Session }) {
  const [interaction, setInteraction] = useState<Interaction | null>();
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState<Pending>();
  const [notice, setNotice] = useState<string>();
  const [time, setTime] = useState(0);
  const [segments, setSegments] = useState<Segment[]>();
  const [playing, setPlaying] = useState<string>();
  const player = useRef<PlayerHandle | undefined>(undefined);

  const load = useCallback(() => {
    api.interaction(id, source).then(setInteraction, (err: unknown) => {
      setInteraction(null);
      setError(
        err instanceof ApiError && err.status === 404
          ? `Interaction ${id} was not found, or you may not see it.`
          : err instanceof Error
            ? err.message
            : String(err),
      );
    });
  }, [id, source]);
  useEffect(load, [load]);

  // Content marked sensitive is played, shown or offered only to those who may download it.
  const readable = interaction?.content.filter((c) => session.canReadSensitive || !c.containsSensitiveData) ?? [];
  const audio = readable.filter(isAudio);
  const current = audio.find((c) => c.contentKey === playing) ?? audio.find((c) => c.type === 'callRecording') ?? audio[0];
  const transcriptItem = readable.find((c) => c.type === 'transcript' && isJson(c));
  const textItem =
    interaction?.mediaType === 'email'
      ? readable.find((c) => c.contentType.startsWith('text/plain') || c.contentType.startsWith('text/html'))
      : undefined;

  useEffect(() => {
    if (!transcriptItem || !interaction) return;
    api
      .text(contentUrl(interaction.id, transcriptItem.contentKey, source))
      .then((text) => setSegments(parseTranscript(JSON.parse(text))))
      .catch(() => setSegments([]));
  }, [interaction, transcriptItem, source]);

  const handle = useCallback(
    (h: PlayerHandle) => {
      const first = player.current === undefined;
      player.current = h;
      if (first && at > 0) h.seek(at);
    },
    [at],
  );

  if (interaction === undefined) return <p className="muted">Loading…</p>;
  if (interaction === null)
    return (
      <>
        <h1>Interaction not available</h1>
        <p role="alert" className="error">
          {error}
        </p>
        <p>
          <a {...linkProps('/')}>Back to search</a>
        </p>
      </>
    );

  const i = interaction;
  const owner = agentName(i.ownerInformation);
  const confirmDelete = async () => {
    if (pending?.kind === 'interaction') {
      await api.deleteInteraction(i.id);
      setPending(undefined);
      navigate(`/?deleted=${encodeURIComponent(i.id)}`);
    } else if (pending?.kind === 'content') {
      await api.deleteContent(i.id, pending.item.contentKey);
      setPending(undefined);
      setNotice(`Deleted ${pending.item.type} ${pending.item.contentKey}.`);
      load();
    }
  };

  return (
    <article className="interaction">
      <p>
        <a {...linkProps(lastSearchPath())}>← Back to results</a>
      </p>
      <header className="interaction-head">
        <div>
          <h1>
            <span className={`media media-${i.mediaType}`}>{i.mediaType}</span> {i.subject ?? i.id}
          </h1>
          <p className="muted">
            {formatDateTime(i.startDate, true)} · {DIRECTIONS[i.typeId] || i.typeId} · {formatDuration(durationOf(i))}
            {owner && ` · ${owner}`}
          </p>
        </div>
        {session.canDelete && source === 'main' && (
          <button type="button" className="danger" onClick={() => setPending({ kind: 'interaction' })}>
            Delete interaction
          </button>
        )}
      </header>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}

      <div className="columns">
        <section aria-labelledby="details-title" className="details">
          <h2 id="details-title">Details</h2>
          <dl>
            <Field name="Started" value={formatDateTime(i.startDate, true)} />
            <Field name="Ended" value={i.endDate && formatDateTime(i.endDate, true)} />
            <Field name="Duration" value={formatDuration(durationOf(i))} />
            <Field name="Type" value={i.typeId} />
            <Field name="State" value={i.state} />
            <Field name="Contact" value={i.contactId} />
            <Field name="From" value={i.connectFrom} />
            <Field name="To" value={i.connectTo} />
            <Field name="Phone number" value={i.phoneNumber} />
            <Field name="Owner" value={i.ownerInformation && `${owner} (${i.ownerInformation.id})`} />
            <Field name="Handling agents" value={i.handlingAgents.map((a) => a.id).join(', ')} />
            <Field name="Comment" value={i.comment} />
            <Field name="Parent" value={i.parentId} />
            <Field name="Id" value={i.id} />
            <Field name="GUID" value={i.guid} />
          </dl>
          {Object.keys(i.customAttributes).length > 0 && (
            <>
              <h3>Attributes</h3>
              <dl>
                {Object.entries(i.customAttributes).map(([k, v]) => (
                  <Field key={k} name={k} value={v} />
                ))}
              </dl>
            </>
          )}
          {Object.keys(i.userData).length > 0 && (
            <>
              <h3>User data</h3>
              <pre className="json">{JSON.stringify(i.userData, null, 2)}</pre>
            </>
          )}
        </section>

        <div className="media-column">
          {current && (
            <Suspense fallback={<p className="muted">Loading player…</p>}>
              {audio.length > 1 && (
                <label className="which">
                  Recording
                  <select value={current.contentKey} onChange={(e) => setPlaying(e.target.value)}>
                    {audio.map((c) => (
                      <option key={c.contentKey} value={c.contentKey}>
                        {c.type} · {c.contentKey}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <Player
                key={current.contentKey}
                src={contentUrl(i.id, current.contentKey, source)}
                label={`${current.type} ${current.contentKey}`}
                contentLength={current.contentLength}
                contentType={current.contentType}
                durationMs={current.properties?.duration}
                onTime={setTime}
                handle={handle}
              />
            </Suspense>
          )}
          {current && segments && segments.length > 0 && (
            <Transcript segments={segments} time={time} onSeek={(s) => player.current?.seek(s)} />
          )}
          {i.messages.length > 0 && <Conversation messages={i.messages} />}
          {textItem && (
            <EmailBody
              url={contentUrl(i.id, textItem.contentKey, source)}
              contentType={textItem.contentType}
              label={`${textItem.type} ${textItem.contentKey} (${textItem.contentType})`}
            />
          )}
        </div>
      </div>

      <section aria-labelledby="content-title">
        <h2 id="content-title">Content</h2>
        {i.content.length === 0 ? (
          <p className="muted">No content items.</p>
        ) : (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
          <section className="table-wrap" tabIndex={0} aria-label="Content items">
            <table className="content">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Key</th>
                  <th scope="col">Media type</th>
                  <th scope="col">Size</th>
                  <th scope="col">Modified</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {i.content.map((c) => (
                  <tr key={c.contentKey}>
                    <td>
                      {c.type}
                      {c.containsSensitiveData && <span className="tag">sensitive</span>}
                    </td>
                    <td className="key">{c.contentKey}</td>
                    <td>{c.contentType}</td>
                    <td className="num">{formatBytes(c.contentLength)}</td>
                    <td>{formatDateTime(c.lastModified)}</td>
                    <td className="row-actions">
                      {c.containsSensitiveData && !session.canReadSensitive ? (
                        <span className="muted" title="Marked as holding sensitive data: downloads need a dedicated right">
                          Restricted
                        </span>
                      ) : (
                        <a href={contentUrl(i.id, c.contentKey, source)} download={downloadName(i, c)}>
                          Download
                          <span className="sr-only">
                            {' '}
                            {c.type} {c.contentKey}
                          </span>
                        </a>
                      )}
                      {session.canDelete && source === 'main' && (
                        <button
                          type="button"
                          className="link danger-text"
                          onClick={() => setPending({ kind: 'content', item: c })}
                        >
                          Delete
                          <span className="sr-only">
                            {' '}
                            {c.type} {c.contentKey}
                          </span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </section>

      {pending?.kind === 'interaction' && (
        <ConfirmDialog
          title={`Delete interaction ${i.id}?`}
          confirmLabel="Delete interaction"
          onConfirm={confirmDelete}
          onClose={() => setPending(undefined)}
        >
          <p>
            This permanently deletes the {i.mediaType} of {formatDateTime(i.startDate, true)}
            {i.subject ? ` (“${i.subject}”)` : ''}, {i.messages.length} message{i.messages.length === 1 ? '' : 's'} and{' '}
            {i.content.length} content item{i.content.length === 1 ? '' : 's'}:
          </p>
          {i.content.length > 0 && (
            <ul>
              {i.content.map((c) => (
                <li key={c.contentKey}>
                  {c.type} {c.contentKey} ({formatBytes(c.contentLength)})
                </li>
              ))}
            </ul>
          )}
          <p>The deletion is recorded in the audit log.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'content' && (
        <ConfirmDialog
          title={`Delete ${pending.item.type} ${pending.item.contentKey}?`}
          confirmLabel="Delete content item"
          onConfirm={confirmDelete}
          onClose={() => setPending(undefined)}
        >
          <p>
            This permanently deletes the {pending.item.type} {pending.item.contentKey} ({pending.item.contentType},{' '}
            {formatBytes(pending.item.contentLength)}) of interaction {i.id}. The interaction itself stays. The deletion is
            recorded in the audit log.
          </p>
        </ConfirmDialog>
      )}
    </article>
  );
}

function Field({ name, value }: { name: string; value: string | number | undefined }) {
  if (value === undefined || value === '') return null;
  return (
    <div>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function downloadName(i: Interaction, c: ContentItem): string {
  const ext =
    c.contentType
      .split(';')[0]
      ?.split('/')[1]
      ?.replace(/[^a-z0-9]/gi, '') ?? 'bin';
  return `${i.id}-${c.contentKey}.${ext === 'plain' ? 'txt' : ext}`;
}
