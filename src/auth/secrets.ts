/**
 * The deployment secret signs bearer tokens, session cookies, page cursors and erasure receipts
 * (each with its own derived key). It comes from IXVAULT_SECRET or a file in
 * the data directory created on first start, so tokens survive a restart.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** HS256 keys shorter than the hash are guessable sooner than they should be (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;
export const SECRET_FILE = 'secret.key';

export interface Keys {
  token: Uint8Array;
  session: Uint8Array;
  cursor: Uint8Array;
  /** Signs erasure receipts and keys the digest of an erased subject. */
  receipt: Uint8Array;
}

export async function loadSecret(dataDir: string, fromEnv?: string): Promise<Buffer> {
  // Set but empty is a mistake, not a request for the file: it is refused like any short secret.
  if (fromEnv !== undefined) return checked(Buffer.from(fromEnv, 'utf8'), 'IXVAULT_SECRET');
  const path = join(dataDir, SECRET_FILE);
  const existing = await readSecretFile(path);
  if (existing) return existing;
  await createSecretFile(dataDir, path);
  const created = await readSecretFile(path);
  if (!created) throw new Error(`${path} vanished right after it was created`);
  return created;
}

/** The secret in the file, or undefined when there is no file. The file is kept readable by its owner only. */
async function readSecretFile(path: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return checked(Buffer.from(text.trim(), 'base64url'), path);
}

/**
 * Writes a new secret where no reader can see it half-written: a private
 * temporary file, flushed, then published by link(2), which like O_EXCL fails
 * when the name exists. When two processes start together, one link wins and
 * both then read the winner's file.
 */
async function createSecretFile(dataDir: string, path: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${randomBytes(MIN_SECRET_BYTES).toString('base64url')}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
}

function checked(secret: Buffer, source: string): Buffer {
  if (secret.length < MIN_SECRET_BYTES)
    throw new Error(
      `the secret from ${source} is ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed (remove the file to have one generated, or set a longer IXVAULT_SECRET)`,
    );
  return secret;
}

export function deriveKeys(secret: Uint8Array): Keys {
  const derive = (label: string) => new Uint8Array(createHmac('sha256', secret).update(label).digest());
  return {
    token: derive('ixvault/token'),
    session: derive('ixvault/session'),
    cursor: derive('ixvault/cursor'),
    receipt: derive('ixvault/receipt'),
  };
}
