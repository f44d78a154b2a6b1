import { type FormEvent, useEffect, useState } from 'react';
import { type AuditEntry, api } from '../api';
import { toLocalInput } from '../filters';
import { formatDateTime } from '../format';
import { linkProps, navigate } from '../router';

/** What the server audits (src/domain/audit.ts): the action filter's choices. */
const ACTIONS = [
  'content.read',
  'content.delete',
  'interaction.delete',
  'export.item',
  'erasure',
  'erasure.delete',
  'audit.export',
];
/** Entries whose interaction is gone: shown without a link. */
const DELETIONS = new Set(['interaction.delete', 'erasure.delete']);

/** The audit log (admins): reads, exports, erasures and deletions, newest first, filtered by time and action on the server and by text here. */
export function AuditScreen({ query }: { query: URLSearchParams }) {
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [error, setError] = useState<string>();
  const since = query.get('since');
  const text = (query.get('q') ?? '').toLowerCase();
  const action = query.get('action') ?? '';

  useEffect(() => {
    const params = new URLSearchParams({ limit: '1000' });
    if (since) params.set('since', since);
    if (action) params.set('action', action);
    setEntries(undefined);
    api.audit(params).then(
      (r) => setEntries(r.entries),
      (err: Error) => setError(err.message),
    );
  }, [since, action]);

  const shown = (entries ?? [])
    .filter(
      (e) =>
        !text ||
        [e.actor, e.action, e.interactionId, e.contentKey, JSON.stringify(e.detail ?? {})].join(' ').toLowerCase().includes(text),
    )
    .sort((a, b) => b.chainNo - a.chainNo);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    const s = String(form.get('since') ?? '');
    if (s) next.set('since', new Date(s).toISOString());
    const q = String(form.get('q') ?? '').trim();
    if (q) next.set('q', q);
    const a = String(form.get('action') ?? '');
    if (a) next.set('action', a);
    navigate(`/audit?${next}`);
  };

  return (
    <>
      <h1>Audit log</h1>
      <search>
        <form className="filters audit-filters" onSubmit={submit} key={query.toString()}>
          <div className="grid">
            <label>
              Since
              <input type="datetime-local" name="since" defaultValue={toLocalInput(since)} />
            </label>
            <label>
              Action
              <select name="action" defaultValue={action}>
                <option value="">Any</option>
                {ACTIONS.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Contains
              <input name="q" defaultValue={query.get('q') ?? ''} autoComplete="off" />
            </label>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Filter
            </button>
            <button type="button" onClick={() => navigate('/audit')}>
              Clear
            </button>
          </div>
        </form>
      </search>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p className="muted" aria-live="polite">
        {entries ? `${shown.length} of ${entries.length} entries` : 'Loading…'}
      </p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <section className="table-wrap" tabIndex={0} aria-label="Audit entries">
        <table className="results audit">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Interaction</th>
              <th scope="col">Content key</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.chainNo}>
                <td>{formatDateTime(e.at, true)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>
                  {e.interactionId &&
                    (DELETIONS.has(e.action) ? (
                      e.interactionId
                    ) : (
                      <a {...linkProps(`/interactions/${encodeURIComponent(e.interactionId)}`)}>{e.interactionId}</a>
                    ))}
                </td>
                <td className="key">{e.contentKey}</td>
                <td className="key">{e.detail ? JSON.stringify(e.detail) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
