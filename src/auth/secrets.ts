/**
 * The deployment secret signs bearer tokens, session cookies and page cursors
 * (each with its own derived key). It comes from IXVAULT_SECRET or a file in
 * the data directory created on first start, so tokens survive a restart.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Keys {
  token: Uint8Array;
  session: Uint8Array;
  cursor: Uint8Array;
}

export async function loadSecret(dataDir: string, fromEnv?: string): Promise<Buffer> {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const path = join(dataDir, 'secret.key');
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
  } catch {
    await mkdir(dataDir, { recursive: true });
    const secret = randomBytes(32);
    await writeFile(path, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => {
      // Another process created it first: use theirs.
    });
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
  }
}

export function deriveKeys(secret: Uint8Array): Keys {
  const derive = (label: string) => new Uint8Array(createHmac('sha256', secret).update(label).digest());
  return { token: derive('ixvault/token'), session: derive('ixvault/session'), cursor: derive('ixvault/cursor') };
}
