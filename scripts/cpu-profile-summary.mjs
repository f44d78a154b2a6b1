#!/usr/bin/env node
/**
 * `node scripts/cpu-profile-summary.mjs FILE.cpuprofile [--top 25] [--from FUNCTION|FILE-PART]`: where a V8
 * CPU profile (`npm run bench -- --cpu-prof DIR`) spent its time — self time
 * per owner (a package under node_modules, a file of ours, Node's internals,
 * the garbage collector, idle) and the functions with the most self time.
 * Idle time is left out of the shares: they are shares of the busy time.
 * `--from pageQuery` counts only from the first sample whose stack runs that
 * function (or code of a file whose path contains the text): start-up left out.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  process.stdout.write('usage: node scripts/cpu-profile-summary.mjs FILE.cpuprofile [--top N] [--from FUNCTION|FILE-PART]\n');
  process.exit(args.length === 0 ? 1 : 0);
}
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
const profile = JSON.parse(readFileSync(args[0], 'utf8'));

const fromIndex = args.indexOf('--from');
const from = fromIndex >= 0 ? args[fromIndex + 1] : undefined;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
function stackHas(id, part) {
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at).callFrame;
    if (frame.functionName === part || (frame.url ?? '').includes(part)) return true;
  }
  return false;
}
let first = 0;
if (from) {
  first = profile.samples.findIndex((id) => stackHas(id, from));
  if (first < 0) throw new Error(`no sample runs code of a file matching ${from}`);
}
const selfMs = new Map();
for (let i = first; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + dt);
}

function ownerOf(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/(src|bench|dist)\/(.*)$/.exec(url);
  return ours ? `ixvault ${ours[2].replace(/^(harness\/)?(src\/)?/, '')}` : url;
}

const owners = new Map();
const functions = new Map();
let busy = 0;
let idle = 0;
for (const [id, ms] of selfMs) {
  const node = byId.get(id);
  const frame = node.callFrame;
  if (frame.functionName === '(idle)') {
    idle += ms;
    continue;
  }
  busy += ms;
  const owner = ownerOf(frame);
  owners.set(owner, (owners.get(owner) ?? 0) + ms);
  const key = `${frame.functionName || '(anonymous)'} ${owner}:${frame.lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + ms);
}

const pct = (ms) => `${((100 * ms) / busy).toFixed(1).padStart(5)} %`;
process.stdout.write(`busy ${(busy / 1000).toFixed(2)} s, idle ${(idle / 1000).toFixed(2)} s\n\nself time by owner:\n`);
for (const [owner, ms] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(ms)}  ${owner}\n`);
process.stdout.write('\nfunctions with the most self time:\n');
for (const [name, ms] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(ms)}  ${name}\n`);
