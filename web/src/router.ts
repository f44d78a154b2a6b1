/** A tiny history-API router: screens are paths under /console/, search filters live in the query string. */
import { useEffect, useState } from 'react';

export const BASE = '/console';

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) || '/' : '/';
  return { path, query: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();

/** The search last shown, for "back to results" (filters survive opening an interaction). */
let lastSearch = '';
export const rememberSearch = (query: string) => {
  lastSearch = query;
};
export const lastSearchPath = () => (lastSearch ? `/?${lastSearch}` : '/');

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

/** Props for an <a> that navigates inside the app (a real link: new tab and copy still work). */
export function linkProps(to: string) {
  return {
    href: `${BASE}${to}`,
    onClick: (event: React.MouseEvent<HTMLAnchorElement>) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(to);
    },
  };
}
