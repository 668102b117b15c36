import { useEffect, useRef, useState } from 'react';
import { BerthRestError } from '@berth/sdk';
import { signIn, type Session } from './api.js';
import { Field } from './ui.js';

/** Sign-in: the one-time code of a `berth studio` link (in the URL's fragment), or a pasted token. */
export function SignIn(props: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tried = useRef(false);

  const attempt = async (credential: { code: string } | { token: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(credential));
    } catch (err) {
      setError(err instanceof BerthRestError ? err.message : `Could not sign in: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (tried.current) return;
    tried.current = true;
    const code = new URLSearchParams(window.location.hash.slice(1)).get('code');
    if (code) {
      // The code is single use: out of the address bar and history at once.
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
      void attempt({ code });
    }
  }, []);

  return (
    <main className="signin" id="main">
      <h1>Sign in to Berth Studio</h1>
      <p>
        Run <code>berth studio</code> (add <code>--open</code> to open the browser) and follow the link it prints, or paste a Berth token.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) void attempt({ token: token.trim() });
          else setError('Paste a token, or use the link `berth studio` prints.');
        }}
      >
        <Field label="Token" problems={error ? [error] : undefined}>
          {(a11y) => <input {...a11y} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
