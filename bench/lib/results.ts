/**
 * What a run records: one row per measured case, the ixvault figure next to
 * its same-run baseline and their ratio, and the issue's target when one
 * applies. Printed as a table and written as JSON for BENCHMARKS.md and the chart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';

/** A latency (p50/p99 in ms) or a rate (value in `unit`). */
export interface Figure {
  label: string;
  p50?: number;
  p99?: number;
  value?: number;
  unit: string;
}

export interface Target {
  text: string;
  met: boolean;
}

export interface ResultRow {
  workload: string;
  case: string;
  ixvault: Figure;
  baseline?: Figure;
  /**
   * For latencies ixvault p50 / baseline p50 (lower is better); for rates
   * ixvault / baseline (higher is better).
   */
  ratio?: number;
  targets?: Target[];
  notes?: string;
}

export interface RunInfo {
  startedAt: string;
  backend: 'sqlite' | 'postgres';
  size: number;
  seed: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  dataset: Record<string, number | string>;
  durationsSeconds: Record<string, number>;
}

export interface RunResult {
  run: RunInfo;
  rows: ResultRow[];
}

export function latencyRatio(subject: Figure, baseline: Figure): number | undefined {
  if (subject.p50 === undefined || baseline.p50 === undefined || baseline.p50 === 0) return undefined;
  return subject.p50 / baseline.p50;
}

export function rateRatio(subject: Figure, baseline: Figure): number | undefined {
  if (subject.value === undefined || baseline.value === undefined || baseline.value === 0) return undefined;
  return subject.value / baseline.value;
}

export function fmt(n: number | undefined, digits?: number): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function describe(f: Figure | undefined): string {
  if (!f) return '–';
  if (f.value !== undefined) return `${fmt(f.value)} ${f.unit}`;
  return `${fmt(f.p50)} / ${fmt(f.p99)} ${f.unit}`;
}

/** A Markdown table: readable in a terminal and pasted as is into BENCHMARKS.md. */
export function markdownTable(rows: ResultRow[]): string {
  const lines = ['| workload | case | ixvault (p50 / p99 or rate) | baseline | ratio | target |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const targets = (r.targets ?? []).map((t) => `${t.met ? 'met' : 'MISSED'}: ${t.text}`).join('; ');
    const baseline = r.baseline ? `${describe(r.baseline)} (${r.baseline.label})` : '–';
    lines.push(
      `| ${r.workload} | ${r.case} | ${describe(r.ixvault)} | ${baseline} | ${r.ratio !== undefined ? `${fmt(r.ratio)}×` : '–'} | ${targets || '–'} |`,
    );
  }
  return lines.join('\n');
}

export function writeResult(dir: string, result: RunResult, suffix = ''): string {
  mkdirSync(dir, { recursive: true });
  const date = result.run.startedAt.slice(0, 10);
  const path = join(dir, `${date}-${result.run.backend}-${result.run.size}${suffix}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** The machine a run measured, for its result file. */
export function machine(): RunResult['run']['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}, ${Math.round(freemem() / 1024 ** 3)} GiB free at start`,
  };
}
