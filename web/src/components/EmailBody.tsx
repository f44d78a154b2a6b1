/**
 * An email's text. HTML is never rendered, executed or even built into
 * elements: tags are dropped from the markup (blocks become line breaks, script
 * and style go with their content), character references are decoded by a
 * <textarea> (its content is text, never elements), and the result is shown as
 * text.
 */
import { useEffect, useState } from 'react';
import { api } from '../api';

export function htmlToText(html: string): string {
  const stripped = html
    .replace(/<(script|style|head|template|noscript)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote|table)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  const decoder = document.createElement('textarea');
  decoder.innerHTML = stripped;
  return decoder.value
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
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
