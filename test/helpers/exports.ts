/** Checking what an export job wrote: a run's folder against its manifest. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect } from 'vitest';

export interface Job {
  id: string;
  status: string;
  run: number;
  progress: { interactions: number; total: number | null; files: number; bytes: number };
  errors: unknown[];
  location: string;
}

/** Every file under a folder, as relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** A run folder checked against its manifest: the same files, each with its SHA-256. Answers the manifest. */
export async function checkRun(runDir: string): Promise<{ path: string; sha256: string; interactionId: string; type: string }[]> {
  const manifest = (await readFile(join(runDir, 'manifest.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const runName = runDir.split('/').at(-1) as string;
  const listed = manifest.map((m: { path: string }) => m.path.replace(`${runName}/`, '')).sort();
  expect(new Set(listed).size, 'no file twice in the manifest').toBe(listed.length);
  expect(await filesUnder(runDir)).toEqual([...listed, 'manifest.jsonl'].sort());
  for (const m of manifest) {
    const bytes = await readFile(join(runDir, '..', m.path));
    expect(createHash('sha256').update(bytes).digest('hex'), m.path).toBe(m.sha256);
    expect(bytes.length).toBe(m.size);
  }
  return manifest;
}
