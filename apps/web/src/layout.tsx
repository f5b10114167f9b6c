/**
 * The page frame: navigation, the API key gate and the not-found page. Once the API answers
 * 401, only the key prompt is shown (no data) until a key the API accepts is entered.
 */
import { useQueryClient } from '@tanstack/react-query';
import { Link, Outlet } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { getApiKey, onAuthRequired, setApiKey } from './api';
import { KeyPrompt } from './components/key-prompt';

/** The pages of the top navigation, in order: path and label. */
const NAV = [
  ['/runs', 'Runs'],
  ['/experiments', 'Experiments'],
  ['/datasets', 'Datasets'],
  ['/workers', 'Workers'],
] as const;

/** The root layout. */
export function Layout() {
  const queryClient = useQueryClient();
  const [auth, setAuth] = useState<'ok' | 'missing' | 'refused'>('ok');
  useEffect(() => onAuthRequired((reason) => setAuth(reason)), []);

  const accepted = (key: string) => {
    setApiKey(key);
    setAuth('ok');
    queryClient.resetQueries();
  };

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/runs" className="brand">
          runledger
        </Link>
        <nav>
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} activeProps={{ className: 'active' }}>
              {label}
            </Link>
          ))}
          <a href="/docs">API docs</a>
        </nav>
        {auth === 'ok' && getApiKey() && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setApiKey(null);
              queryClient.clear();
              setAuth('missing');
            }}
          >
            Forget key
          </button>
        )}
      </header>
      <main>
        {auth === 'ok' ? (
          <Outlet />
        ) : (
          <KeyPrompt refused={auth === 'refused'} onAccepted={accepted} />
        )}
      </main>
    </div>
  );
}

/** Any path the dashboard does not know. */
export function NotFoundPage() {
  return (
    <div className="notice" data-testid="not-found">
      <h2>Page not found</h2>
      <p>
        There is no page at <code>{window.location.pathname}</code>. Go to the{' '}
        <Link to="/runs">runs</Link>.
      </p>
    </div>
  );
}
