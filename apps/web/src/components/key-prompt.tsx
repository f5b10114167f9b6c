/**
 * The API key prompt: shown instead of any page once the API answers 401. The key is checked
 * against the API before it is kept (sessionStorage, this tab only); a refused key is said so.
 */
import { type FormEvent, useState } from 'react';
import { checkApiKey } from '../api';

/** The key form; `onAccepted(key)` once the API accepted the key. */
export function KeyPrompt(props: { refused: boolean; onAccepted: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(
    props.refused ? 'The API refused the key of this tab: enter a valid one.' : null,
  );
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = key.trim();
    if (!value) return;
    setBusy(true);
    setError(null);
    try {
      if (await checkApiKey(value)) props.onAccepted(value);
      else setError('The API refused this key (401). Check it and try again.');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="key-prompt">
      <form onSubmit={submit} aria-label="API key">
        <h2>API key required</h2>
        <p>
          This runledger API requires an API key. Enter one (from <code>RUNLEDGER_API_KEYS</code> or{' '}
          <code>runledger keys create</code>); it is kept in this tab only.
        </p>
        <input
          type="password"
          name="apiKey"
          autoComplete="off"
          placeholder="API key"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          // biome-ignore lint/a11y/noAutofocus: the prompt is the only thing on the page
          autoFocus
        />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Use key'}
        </button>
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
