import { useCallback, useEffect, useState } from 'react';
import { ApiError, api, type Session } from './api';
import { linkProps, navigate, useLocation } from './router';
import { AuditScreen } from './screens/Audit';
import { InteractionScreen } from './screens/Interaction';
import { LoginScreen } from './screens/Login';
import { SearchScreen } from './screens/Search';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  // Why the session could not be asked for (not a 401: ixvault or the way to it failed). The sign-in form would
  // mislead here: whoever is signed in still is, and a sign-in would fail the same way.
  const [unreachable, setUnreachable] = useState<string>();
  const location = useLocation();

  const askSession = useCallback(() => {
    setUnreachable(undefined);
    setSession(undefined);
    api.session().then(setSession, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else setUnreachable(err instanceof Error ? err.message : String(err));
    });
  }, []);
  useEffect(askSession, [askSession]);

  const signOut = useCallback(async () => {
    await api.signOut().catch(() => {});
    setSession(null);
    navigate('/', { replace: true });
  }, []);

  if (unreachable !== undefined)
    return (
      <main id="main" className="login">
        <title>ixvault did not answer</title>
        <div role="alert">
          <h1>ixvault did not answer</h1>
          <p>{unreachable}</p>
        </div>
        <button type="button" className="primary" onClick={askSession}>
          Try again
        </button>
      </main>
    );
  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <LoginScreen onSignedIn={setSession} />;

  const interaction = /^\/interactions\/([^/]+)$/.exec(location.path);
  let screen: React.ReactNode;
  let title: string;
  if (interaction?.[1]) {
    title = 'Interaction';
    screen = (
      <InteractionScreen
        key={interaction[1]}
        id={decodeURIComponent(interaction[1])}
        source={location.query.get('source') ?? 'main'}
        at={Number(location.query.get('t')) || 0}
        session={session}
      />
    );
  } else if (location.path === '/audit') {
    title = 'Audit log';
    screen = session.canReadAudit ? (
      <AuditScreen query={location.query} />
    ) : (
      <p role="alert">The audit log is for administrators.</p>
    );
  } else {
    title = 'Search';
    screen = <SearchScreen query={location.query} />;
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" {...linkProps('/')}>
          ixvault
        </a>
        <nav aria-label="Main">
          <a {...linkProps('/')} aria-current={title === 'Search' ? 'page' : undefined}>
            Search
          </a>
          {session.canReadAudit && (
            <a {...linkProps('/audit')} aria-current={title === 'Audit log' ? 'page' : undefined}>
              Audit log
            </a>
          )}
        </nav>
        <span className="who">
          {[session.firstName, session.lastName].filter(Boolean).join(' ') || session.userName} · {session.role}
        </span>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <title>{`${title} · ixvault`}</title>
        {screen}
      </main>
    </>
  );
}
