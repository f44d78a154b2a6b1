import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, type Interaction, type TextMatch } from '../api';
import { apiQuery, includesNow, MEDIA_TYPES, RANGES, rangeOf, TEXT_FILTERS, toLocalInput } from '../filters';
import { agentName, DIRECTIONS, durationOf, formatDateTime, formatDuration } from '../format';
import { type LiveState, subscribeLive } from '../live';
import { linkProps, navigate, rememberSearch } from '../router';

interface Results {
  items: Interaction[];
  next: string | null;
  loading: boolean;
  error?: string;
  fresh: Set<string>;
}

const WIDE = '(min-width: 761px)';

const EMPTY: Results = { items: [], next: null, loading: true, fresh: new Set() };

export function SearchScreen({ query }: { query: URLSearchParams }) {
  const queryString = query.toString();
  const [results, setResults] = useState<Results>(EMPTY);
  const [live, setLive] = useState<LiveState>();
  const [announcement, setAnnouncement] = useState('');
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);
  const sort = query.get('sort') === 'asc' ? 'asc' : 'desc';

  // A new query: first page.
  useEffect(() => {
    rememberSearch(queryString);
    const mine = ++generation.current;
    setResults(EMPTY);
    api.search(apiQuery(new URLSearchParams(queryString))).then(
      (page) => {
        if (mine === generation.current)
          setResults({ items: page.items, next: page.nextCursor, loading: false, fresh: new Set() });
      },
      (err: Error) => {
        if (mine === generation.current) setResults({ ...EMPTY, loading: false, error: err.message });
      },
    );
  }, [queryString]);

  const current = useRef(results);
  current.current = results;
  const loadMore = useCallback(() => {
    const r = current.current;
    if (r.loading || !r.next) return;
    const mine = generation.current;
    const params = apiQuery(new URLSearchParams(queryString));
    params.set('cursor', r.next);
    current.current = { ...r, loading: true };
    setResults(current.current);
    api.search(params).then(
      (page) => {
        if (mine !== generation.current) return;
        setResults((now) => {
          const seen = new Set(now.items.map((i) => i.id));
          return {
            ...now,
            items: [...now.items, ...page.items.filter((i) => !seen.has(i.id))],
            next: page.nextCursor,
            loading: false,
          };
        });
      },
      (err: Error) => {
        if (mine === generation.current) setResults((now) => ({ ...now, loading: false, error: err.message }));
      },
    );
  }, [queryString]);

  // Paging by scrolling: the row after the last one coming into view loads the next page.
  useEffect(() => {
    const target = sentinel.current;
    if (!target) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore]);

  // Live: new interactions in a window that reaches now.
  const liveWanted = includesNow(query);
  useEffect(() => {
    if (!liveWanted) {
      setLive(undefined);
      return;
    }
    let timer: number | undefined;
    const refresh = () => {
      const mine = generation.current;
      api.search(apiQuery(new URLSearchParams(queryString))).then((page) => {
        if (mine !== generation.current) return;
        setResults((now) => {
          const seen = new Set(now.items.map((i) => i.id));
          const added = page.items.filter((i) => !seen.has(i.id));
          if (added.length === 0) return now;
          setAnnouncement(`${added.length} new interaction${added.length > 1 ? 's' : ''}`);
          const fresh = new Set([...now.fresh, ...added.map((i) => i.id)]);
          const items =
            sort === 'desc'
              ? [...added, ...now.items].sort((a, b) => b.startDate.localeCompare(a.startDate) || b.id.localeCompare(a.id))
              : now.next === null
                ? [...now.items, ...added]
                : now.items;
          return { ...now, items, fresh };
        });
      });
    };
    const stop = subscribeLive(() => {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    }, setLive);
    return () => {
      window.clearTimeout(timer);
      stop();
    };
  }, [liveWanted, queryString, sort]);

  const update = (changes: Record<string, string | string[] | null>) => {
    const next = new URLSearchParams(queryString);
    for (const [key, value] of Object.entries(changes)) {
      next.delete(key);
      for (const v of [value ?? []].flat()) if (v !== '') next.append(key, v);
    }
    navigate(`/?${next}`);
  };

  return (
    <>
      <h1 className="sr-only">Search interactions</h1>
      {query.get('deleted') && (
        <p role="status" className="notice">
          Interaction {query.get('deleted')} was deleted.
        </p>
      )}
      <Filters query={query} update={update} />
      <div className="results-bar">
        <p aria-live="polite" className="muted">
          {results.error
            ? ''
            : `${results.items.length}${results.next ? '+' : ''} interaction${results.items.length === 1 && !results.next ? '' : 's'}`}
          {live && (
            <span className={`live live-${live}`}>
              {live === 'live'
                ? ' · Live: new interactions appear at the top'
                : live === 'connecting'
                  ? ' · connecting…'
                  : ' · live updates unavailable'}
            </span>
          )}
        </p>
        <p className="sr-only" aria-live="polite">
          {announcement}
        </p>
      </div>
      {results.error && (
        <p role="alert" className="error">
          {results.error}
        </p>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <section className="table-wrap" tabIndex={0} aria-label="Search results">
        <table className="results">
          <thead>
            <tr>
              <th scope="col" aria-sort={sort === 'asc' ? 'ascending' : 'descending'}>
                <button type="button" className="sort" onClick={() => update({ sort: sort === 'asc' ? 'desc' : 'asc' })}>
                  Start {sort === 'asc' ? '▲' : '▼'}
                  <span className="sr-only">, sorted {sort === 'asc' ? 'oldest first' : 'newest first'}; change</span>
                </button>
              </th>
              <th scope="col">Media</th>
              <th scope="col">Direction</th>
              <th scope="col">Agent</th>
              <th scope="col">Contact</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Duration</th>
              <th scope="col">Content</th>
            </tr>
          </thead>
          <tbody>
            {results.items.map((i) => (
              <tr key={i.id} className={results.fresh.has(i.id) ? 'fresh' : undefined} data-id={i.id} data-start={i.startDate}>
                <td>
                  <a
                    {...linkProps(
                      `/interactions/${encodeURIComponent(i.id)}${query.get('source') === 'archive' ? '?source=archive' : ''}`,
                    )}
                  >
                    {formatDateTime(i.startDate)}
                  </a>
                </td>
                <td>
                  <span className={`media media-${i.mediaType}`}>{i.mediaType}</span>
                </td>
                <td>{DIRECTIONS[i.typeId] ?? i.typeId}</td>
                <td>{agentName(i.ownerInformation)}</td>
                <td>{i.contactId}</td>
                <td>{i.connectFrom}</td>
                <td>{i.connectTo}</td>
                <td className="subject">
                  {i.subject}
                  {i.matches?.[0] && <Hit id={i.id} match={i.matches[0]} archive={query.get('source') === 'archive'} />}
                </td>
                <td className="num">{formatDuration(durationOf(i))}</td>
                <td className="num">{i.content.length > 0 ? i.content.length : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div ref={sentinel} className="sentinel">
          {results.loading ? (
            <p className="muted">Loading…</p>
          ) : results.next ? (
            <button type="button" onClick={loadMore}>
              Load more
            </button>
          ) : results.items.length === 0 && !results.error ? (
            <p className="muted">No interactions match these filters.</p>
          ) : (
            <p className="muted">End of results.</p>
          )}
        </div>
      </section>
    </>
  );
}

function Filters({ query, update }: { query: URLSearchParams; update: (c: Record<string, string | string[] | null>) => void }) {
  const range = rangeOf(query);
  // Open on wide screens; on a phone the results come first and the filters fold away.
  const [open, setOpen] = useState(() => window.matchMedia(WIDE).matches);
  useEffect(() => {
    const query = window.matchMedia(WIDE);
    const follow = () => setOpen(query.matches);
    query.addEventListener('change', follow);
    return () => query.removeEventListener('change', follow);
  }, []);
  const [custom, setCustom] = useState(range === 'custom');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (key: string) => String(form.get(key) ?? '').trim();
    const changes: Record<string, string | string[] | null> = {
      q: value('q'),
      mediaType: value('mediaType'),
      direction: value('direction'),
      hasContent: form.get('hasContent') ? 'true' : null,
      source: value('source') === 'archive' ? 'archive' : null,
      attr: value('attrName') ? `${value('attrName')}=${value('attrValue')}` : null,
    };
    for (const f of TEXT_FILTERS) changes[f.key] = value(f.key);
    if (custom) {
      const from = value('from');
      const to = value('to');
      changes.range = 'custom';
      changes.from = from ? new Date(from).toISOString() : null;
      changes.to = to ? new Date(to).toISOString() : null;
    }
    update(changes);
  };
  const [attrName = '', attrValue = ''] = (query.get('attr') ?? '').split(/=(.*)/s);

  return (
    <search>
      <form className="filters" onSubmit={submit} key={query.toString()}>
        <label className="words">
          Words
          <input
            type="search"
            name="q"
            defaultValue={query.get('q') ?? ''}
            autoComplete="off"
            placeholder={'cancel "my contract" refund* -test'}
          />
        </label>
        <fieldset className="ranges">
          <legend>Time range</legend>
          {RANGES.map((r) => (
            <button
              key={r.key}
              type="button"
              aria-pressed={!custom && range === r.key}
              onClick={() => {
                setCustom(false);
                update({ range: r.key, from: null, to: null });
              }}
            >
              {r.label}
            </button>
          ))}
          <button type="button" aria-pressed={custom} onClick={() => setCustom(true)}>
            Custom…
          </button>
          {custom && (
            <span className="custom-range">
              <label>
                From <input type="datetime-local" name="from" defaultValue={toLocalInput(query.get('from'))} />
              </label>
              <label>
                To <input type="datetime-local" name="to" defaultValue={toLocalInput(query.get('to'))} />
              </label>
            </span>
          )}
        </fieldset>
        <details className="more" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>Filters</summary>
          <div className="grid">
            <label>
              Media type
              <select name="mediaType" defaultValue={query.get('mediaType') ?? ''}>
                <option value="">Any</option>
                {MEDIA_TYPES.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Direction
              <select name="direction" defaultValue={query.get('direction') ?? ''}>
                <option value="">Any</option>
                <option value="inbound">Inbound</option>
                <option value="outbound">Outbound</option>
              </select>
            </label>
            {TEXT_FILTERS.map((f) => (
              <label key={f.key}>
                {f.label}
                <input name={f.key} defaultValue={query.get(f.key) ?? ''} autoComplete="off" />
              </label>
            ))}
            <label>
              Attribute name
              <input name="attrName" defaultValue={attrName} autoComplete="off" />
            </label>
            <label>
              Attribute value
              <input name="attrValue" defaultValue={attrValue} autoComplete="off" />
            </label>
            <label>
              Store
              <select name="source" defaultValue={query.get('source') ?? 'main'}>
                <option value="main">Main</option>
                <option value="archive">Archive</option>
              </select>
            </label>
            <label className="check">
              <input type="checkbox" name="hasContent" defaultChecked={query.get('hasContent') === 'true'} />
              Has content
            </label>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Search
            </button>
            <button type="button" onClick={() => navigate('/')}>
              Clear
            </button>
          </div>
        </details>
      </form>
    </search>
  );
}

const PLACES: Record<TextMatch['in'], string> = {
  subject: 'subject',
  comment: 'comment',
  email: 'email',
  message: 'message',
  transcript: 'transcript',
  attachment: 'attachment',
};

/** Where a text query matched, its words marked; a transcript hit opens the call at that second. */
function Hit({ id, match, archive }: { id: string; match: TextMatch; archive: boolean }) {
  const pieces: React.ReactNode[] = [];
  let at = 0;
  for (const [start, end] of match.highlights) {
    if (start > at) pieces.push(match.snippet.slice(at, start));
    pieces.push(<mark key={start}>{match.snippet.slice(start, end)}</mark>);
    at = end;
  }
  pieces.push(match.snippet.slice(at));
  const where =
    match.in === 'message'
      ? `message ${match.messageIndex}`
      : match.in === 'transcript' && match.startMs !== undefined
        ? `transcript ${formatDuration(Math.floor(match.startMs / 1000))}`
        : PLACES[match.in];
  const params = new URLSearchParams();
  if (archive) params.set('source', 'archive');
  if (match.in === 'transcript' && match.startMs !== undefined) params.set('t', String(Math.floor(match.startMs / 1000)));
  const search = params.toString();
  const href = `/interactions/${encodeURIComponent(id)}${search ? `?${search}` : ''}`;
  return (
    <span className="hit">
      <a {...linkProps(href)} className="hit-where">
        {where}
      </a>{' '}
      <span className="hit-snippet">{pieces}</span>
    </span>
  );
}
