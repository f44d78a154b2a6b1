/**
 * Debian's Chromium for the browser tests (playwright-core, no downloaded
 * browser), with the flags that keep it off the network this machine does
 * not have: no background connections, updates or sync.
 */
export const CHROMIUM = '/usr/bin/chromium';

export function chromiumArgs(...extra: string[]): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...extra,
  ];
}
