/**
 * The latency-against-dataset-size chart of docs/BENCHMARKS.md, drawn as a
 * plain SVG from the result files (no plotting library): p50 of each search
 * case at every size measured, one line per case and backend, log-scale x.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRow, RunResult } from './results.js';

/** The cases drawn, by their case names in the results. */
export const CHART_CASES = [
  'page of 100 (API)',
  'page of 1000 (API)',
  'page of 100, handlingAgentId (API)',
  'page of 100, connectFrom prefix (API)',
  'RetrieveInteractionHistory, CustomerId (POST → CometD)',
];

interface Series {
  name: string;
  points: { size: number; p50: number }[];
}

/** The newest full run per backend and size wins; partial runs (--only) count when they hold the case. */
export function collectSeries(resultsDir: string): Series[] {
  const files = readdirSync(resultsDir)
    // `…-before-….json` files keep the figures of code since changed (before/after evidence).
    .filter((f) => f.endsWith('.json') && !f.includes('-before-'))
    .sort();
  const latest = new Map<string, { size: number; row: ResultRow }>();
  for (const file of files) {
    const result = JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as RunResult;
    for (const row of result.rows) {
      if (!CHART_CASES.includes(row.case) || row.ixvault.p50 === undefined) continue;
      latest.set(`${result.run.backend}|${row.case}|${result.run.size}`, { size: result.run.size, row });
    }
  }
  const series = new Map<string, Series>();
  for (const [key, { size, row }] of latest) {
    const [backend, name] = key.split('|') as [string, string];
    const id = `${name} — ${backend}`;
    const s = series.get(id) ?? { name: id, points: [] };
    s.points.push({ size, p50: row.ixvault.p50 as number });
    series.set(id, s);
  }
  for (const s of series.values()) s.points.sort((a, b) => a.size - b.size);
  return [...series.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function renderChart(series: Series[]): string {
  const width = 1120;
  const height = 460;
  const left = 70;
  const right = 470;
  const top = 40;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const sizes = series.flatMap((s) => s.points.map((p) => p.size));
  const minX = Math.log10(Math.min(...sizes, 100_000));
  const maxX = Math.log10(Math.max(...sizes, 10_000_000));
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.p50))) * 1.1;
  const x = (size: number) => left + ((Math.log10(size) - minX) / Math.max(1e-9, maxX - minX)) * plotW;
  const y = (ms: number) => top + plotH - (ms / maxY) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15">ixvault search latency (p50, ms) against dataset size</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
  ];
  for (let e = Math.ceil(minX); e <= Math.floor(maxX); e++) {
    const size = 10 ** e;
    const label = size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
    out.push(`<line x1="${x(size)}" y1="${top}" x2="${x(size)}" y2="${top + plotH}" stroke="#ddd"/>`);
    out.push(`<text x="${x(size)}" y="${top + plotH + 18}" text-anchor="middle">${label}</text>`);
  }
  for (let k = 0; k <= 5; k++) {
    const v = (maxY / 5) * k;
    out.push(`<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 20}" text-anchor="middle">interactions in the store (log scale)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const dash = s.name.endsWith('postgres') ? ' stroke-dasharray="6 4"' : '';
    const path = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.size).toFixed(1)},${y(p.p50).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of s.points) out.push(`<circle cx="${x(p.size)}" cy="${y(p.p50)}" r="3" fill="${color}"/>`);
    const ly = top + 10 + i * 18;
    out.push(
      `<line x1="${left + plotW + 15}" y1="${ly}" x2="${left + plotW + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${left + plotW + 45}" y="${ly + 4}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
