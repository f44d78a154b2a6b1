import { randomBytes } from 'node:crypto';

/**
 * A generated password or client secret: `bytes` random bytes as base64url,
 * drawn again while it starts with `-` or `_`. One starting with `-` reads as
 * an option on a command line (`ixvault token --client-secret -V…` printed
 * the version and exited 0), and people paste these into command lines.
 */
export function generateSecret(bytes: number, random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const text = random(bytes).toString('base64url');
    if (/^[A-Za-z0-9]/.test(text)) return text;
  }
}
