import { type FormEvent, useState } from 'react';
import { api, type Session } from '../api';

export function LoginScreen({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api.signIn(String(form.get('userName') ?? ''), String(form.get('password') ?? '')));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <title>Sign in · ixvault</title>
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">ixvault console</h1>
        <p className="muted">Find, read, play and act on your contact center's interactions.</p>
        <label>
          User name
          <input name="userName" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
