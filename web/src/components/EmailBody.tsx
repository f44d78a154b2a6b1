/**
 * An email's text. HTML is never rendered or executed: it is parsed inert by
 * DOMParser (scripts do not run, nothing loads) and only its text is shown.
 */
import { useEffect, useState } from 'react';
import { api } from '../api';

export function htmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const el of doc.querySelectorAll('script, style, noscript, template, head')) el.remove();
  for (const br of doc.querySelectorAll('br')) br.replaceWith('\n');
  for (const block of doc.querySelectorAll('p, div, li, tr, h1, h2, h3, h4, h5, h6')) block.append(doc.createTextNode('\n'));
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n').trim();
}

export function EmailBody({ url, contentType, label }: { url: string; contentType: string; label: string }) {
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api.text(url).then(
      (body) => setText(contentType.startsWith('text/html') ? htmlToText(body) : body),
      (err: Error) => setError(err.message),
    );
  }, [url, contentType]);
  return (
    <section aria-labelledby="email-title">
      <h2 id="email-title">Message text</h2>
      <p className="muted small">{label}</p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : (
        <pre className="email">{text ?? 'Loading…'}</pre>
      )}
    </section>
  );
}
