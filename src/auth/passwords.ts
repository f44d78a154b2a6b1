/**
 * scrypt password hashes: `scrypt$N$r$p$salt$hash` (base64url parts).
 *
 * scrypt runs on a few threads of its own, not on libuv's pool: node's async
 * scrypt shares that pool (4 threads) with file I/O, so a flood of wrong
 * passwords would stall every content download (issue 8, finding 11). The
 * queue in front of those threads is bounded: when it is full a check is
 * refused at once (429) instead of waiting behind an attacker's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { errors } from '../domain/errors.js';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** CommonJS evaluated in each worker: no file to resolve, whether run from src/ (tests) or dist/. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
// Below the event loop's priority: on Linux this nices the calling thread only, so serving requests
// (and file I/O) goes first when the cores are busy, and password checks take what is left.
try { require('node:os').setPriority(10); } catch {}
parentPort.on('message', ({ id, password, salt, keyLength, options }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keyLength, options);
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface ScryptJob {
  id: number;
  password: string;
  salt: Uint8Array;
  keyLength: number;
  options: { N: number; r: number; p: number; maxmem: number };
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

export interface PasswordPoolOptions {
  /** Threads computing scrypt. */
  workers: number;
  /** Checks that may wait for a thread; more are refused. */
  queue: number;
}

/** A fixed number of scrypt threads behind a bounded queue. Threads start on first use and hold the process open only while at work. */
export class PasswordPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: ScryptJob[] = [];
  private readonly running = new Map<number, { job: ScryptJob; worker: Worker }>();
  private nextId = 1;

  constructor(private readonly options: PasswordPoolOptions) {}

  /** Checks waiting for a thread (for tests and probes). */
  get queued(): number {
    return this.waiting.length;
  }

  scrypt(password: string, salt: Uint8Array, keyLength: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
    // Jobs wait only while every thread is busy (dispatch is synchronous).
    if (this.waiting.length >= this.options.queue) return Promise.reject(errors.busy('too many password checks are waiting', 1));
    return new Promise((resolve, reject) => {
      const options = { ...params, maxmem: 256 * params.N * params.r };
      this.waiting.push({ id: this.nextId++, password, salt, keyLength, options, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the threads; waiting checks fail. */
  async close(): Promise<void> {
    for (const job of this.waiting.splice(0)) job.reject(errors.busy('the server is shutting down', 1));
    await Promise.all(this.all.map((w) => w.terminate()));
    this.all.length = 0;
    this.idle.length = 0;
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (!worker) return;
      const job = this.waiting.shift() as ScryptJob;
      this.running.set(job.id, { job, worker });
      // A thread at work keeps the process alive until its answer arrives (a CLI has nothing else pending).
      worker.ref();
      const { id, password, salt, keyLength, options } = job;
      worker.postMessage({ id, password, salt, keyLength, options });
    }
  }

  private spawn(): Worker | undefined {
    if (this.all.length >= this.options.workers) return undefined;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: { id: number; key?: Uint8Array; error?: string }) => {
      const entry = this.running.get(reply.id);
      this.running.delete(reply.id);
      worker.unref();
      this.idle.push(worker);
      if (entry) {
        if (reply.key) entry.job.resolve(Buffer.from(reply.key));
        else entry.job.reject(new Error(`scrypt failed: ${reply.error}`));
      }
      this.dispatch();
    });
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`password thread exited (${code})`)));
    this.all.push(worker);
    return worker;
  }

  /** A thread died: fail its check, forget it, and let the next check start a new one. */
  private lost(worker: Worker, error: Error): void {
    const index = this.all.indexOf(worker);
    if (index < 0) return;
    this.all.splice(index, 1);
    const idle = this.idle.indexOf(worker);
    if (idle >= 0) this.idle.splice(idle, 1);
    for (const [id, entry] of this.running) {
      if (entry.worker !== worker) continue;
      this.running.delete(id);
      entry.job.reject(error);
    }
    this.dispatch();
  }
}

/** The pool used when none is configured (CLI commands that hash a password or two). */
let defaultPool = new PasswordPool({ workers: 1, queue: 64 });

/** Replaces the process's pool (the server, with its configured size); returns the old one to close. */
export function usePasswordPool(pool: PasswordPool): PasswordPool {
  const previous = defaultPool;
  defaultPool = pool;
  return previous;
}

export async function hashPassword(password: string, pool: PasswordPool = defaultPool): Promise<string> {
  const salt = randomBytes(16);
  const key = await pool.scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function isPasswordHash(value: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/.test(value);
}

export async function verifyPassword(password: string, stored: string, pool: PasswordPool = defaultPool): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await pool.scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
