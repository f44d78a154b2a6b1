/**
 * Database bytes per stored thing, measured (docs/SCALING.md "Capacity model"): generated
 * interactions (the bench generator, seed 42: every media type, chats with their messages, custom
 * attributes, ~30 % with content items) are stored through ixvault's own write path
 * (InteractionRepository.upsertMany, 1000 a transaction, so the full-text index is written as in
 * production), their content items' metadata rows inserted beside them, then audit entries shaped
 * like content reads appended through AuditRepository (one transaction each, as reads write them).
 * Then every table of the main store is measured with its indexes — SQLite `dbstat` (pages of the
 * table, its indexes, and for the FTS5 index its shadow tables), PostgreSQL
 * `pg_total_relation_size` (heap, TOAST and indexes) after VACUUM ANALYZE — and divided by its
 * rows. Prints a Markdown table per backend and writes bench/results/<date>-<backend>-<n>-capacity.json.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/harness/bench/capacity.js --backend sqlite --interactions 50000
 *   node dist/harness/bench/capacity.js --backend postgres --interactions 50000    # a throwaway cluster
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import pg from 'pg';
import { validateBatch } from '../src/services/vault.js';
import { AuditRepository } from '../src/store/audit-repository.js';
import { connect } from '../src/store/database.js';
import { InteractionRepository } from '../src/store/interaction-repository.js';
import type { ContentItemsTable } from '../src/store/schema.js';
import { type BackendName, openBackend } from './lib/backend.js';
import { generate, TENANT, toRows } from './lib/dataset.js';
import { REPO_ROOT } from './lib/paths.js';

interface Options {
  backend: BackendName;
  interactions: number;
  audit: number;
  workDir: string;
}

function parseOptions(argv: string[]): Options {
  const program = new Command('capacity')
    .description('Database bytes per interaction, message, content item, audit entry and full-text document')
    .option('--backend <name>', 'sqlite or postgres', 'sqlite')
    .option('--interactions <n>', 'interactions stored', '50000')
    .option('--audit <n>', 'audit entries appended', '20000')
    .option('--work-dir <dir>', 'where the store lives (removed at the end)', join(tmpdir(), 'ixvault-capacity'));
  program.parse(argv);
  const o = program.opts();
  if (o.backend !== 'sqlite' && o.backend !== 'postgres') throw new Error('--backend is sqlite or postgres');
  return { backend: o.backend, interactions: Number(o.interactions), audit: Number(o.audit), workDir: o.workDir };
}

/** Bytes (table + indexes) and rows of one logical table. */
interface Measured {
  bytes: number;
  rows: number;
  /** Bytes of the table alone (heap, or the SQLite table's B-tree), without its indexes. */
  tableBytes: number;
}

const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** SQLite: dbstat's pages by table, indexes included; the FTS5 index's shadow tables count as text_fts. */
function measureSqlite(file: string): Record<string, Measured> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const objects = db.prepare(`select name, tbl_name as tbl, type from sqlite_master where name not like 'archive_%'`).all() as {
      name: string;
      tbl: string;
      type: string;
    }[];
    const owner = new Map(objects.map((o) => [o.name, o.tbl.replace(/^text_fts_.*/, 'text_fts')]));
    const pages = db.prepare(`select name, sum(pgsize) as bytes from dbstat('main') group by name`).all() as {
      name: string;
      bytes: number;
    }[];
    const out: Record<string, Measured> = {};
    for (const { name, bytes } of pages) {
      const table = owner.get(name);
      if (!table || table.startsWith('sqlite_') || table.startsWith('archive_')) continue;
      out[table] ??= { bytes: 0, rows: 0, tableBytes: 0 };
      const m = out[table];
      m.bytes += bytes;
      if (name === table) m.tableBytes += bytes;
    }
    for (const [table, m] of Object.entries(out)) {
      if (table === 'text_fts') continue;
      m.rows = (db.prepare(`select count(*) as n from main."${table}"`).get() as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

async function measurePostgres(url: string): Promise<Record<string, Measured>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('vacuum analyze');
    const { rows } = await client.query<{ table: string; bytes: string; heap: string }>(
      `select c.relname as table, pg_total_relation_size(c.oid) as bytes,
              pg_relation_size(c.oid) + coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as heap
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'ixv_main' and c.relkind = 'r'`,
    );
    const out: Record<string, Measured> = {};
    for (const r of rows) {
      const count = await client.query<{ n: string }>(`select count(*) as n from ixv_main."${r.table}"`);
      out[r.table] = { bytes: Number(r.bytes), tableBytes: Number(r.heap), rows: Number(count.rows[0]?.n ?? 0) };
    }
    return out;
  } finally {
    await client.end();
  }
}

async function main() {
  const options = parseOptions(process.argv);
  const loadStart = load();
  log(`${options.backend}: ${options.interactions} interactions, ${options.audit} audit entries (load ${loadStart})`);
  const backend = await openBackend(options.backend, options.workDir, log);
  const location = await backend.createStore(`capacity-${options.interactions}`);
  const store = connect({ dataDir: location.dataDir, databaseUrl: location.databaseUrl, poolSize: 2 });
  let measured: Record<string, Measured>;
  let messageChars = 0;
  let messages = 0;
  try {
    const repo = new InteractionRepository(store);
    const nowMs = Date.now();
    let records: unknown[] = [];
    let content: ContentItemsTable[] = [];
    const flush = async () => {
      if (records.length === 0) return;
      await repo.upsertMany(TENANT, validateBatch(records));
      const items = content;
      if (items.length > 0) await store.write((trx) => store.on(trx, 'main').insertInto('content_items').values(items).execute());
      records = [];
      content = [];
    };
    let stored = 0;
    for (const g of generate(42, options.interactions)) {
      records.push(g.record);
      const rows = toRows(g, nowMs);
      content.push(...rows.content);
      messages += rows.messages.length;
      for (const m of rows.messages) messageChars += m.text?.length ?? 0;
      if (records.length === 1000) {
        await flush();
        stored += 1000;
        if (stored % 10_000 === 0) log(`${stored} interactions stored (load ${load()})`);
      }
    }
    await flush();
    const audits = new AuditRepository(store);
    for (let i = 0; i < options.audit; i++) {
      await audits.append(TENANT, {
        atMs: nowMs + i,
        actor: `user:${TENANT}/agent-${String(i % 500).padStart(4, '0')}`,
        action: 'content.read',
        interactionId: `INT-${String(i * 7919).padStart(12, '0')}`,
        contentKey: `recording-${i % 3}`,
        detail: {
          sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          range: `0-${1048575 + (i % 1000)}`,
        },
      });
    }
    log(`stored; measuring (load ${load()})`);
  } finally {
    await store.close();
  }
  try {
    measured = location.databaseUrl ? await measurePostgres(location.databaseUrl) : measureSqlite(location.sqliteFile);
  } finally {
    await backend.dropStore(location);
    await backend.close();
    rmSync(options.workDir, { recursive: true, force: true });
  }

  const rowsOf = (t: string) => measured[t]?.rows ?? 0;
  const bytesOf = (...tables: string[]) => tables.reduce((n, t) => n + (measured[t]?.bytes ?? 0), 0);
  const interactions = rowsOf('interactions');
  // The text index: PostgreSQL keeps one tsvector a document in text_docs; SQLite maps documents in
  // text_docs and keeps the inverted index in the FTS5 table (text_fts and its shadow tables).
  const textTables = ['text_docs', 'text_fts'];
  const perUnit = {
    'interaction (record + agents + custom attributes)':
      bytesOf('interactions', 'interaction_agents', 'custom_attributes') / interactions,
    'interaction record alone': bytesOf('interactions') / interactions,
    message: bytesOf('messages') / rowsOf('messages'),
    'content item metadata': bytesOf('content_items') / rowsOf('content_items'),
    'audit entry': bytesOf('audit_log') / rowsOf('audit_log'),
    'full-text document (per interaction)': bytesOf(...textTables) / rowsOf('text_docs'),
    'text part (content text row)': rowsOf('text_parts') > 0 ? bytesOf('text_parts') / rowsOf('text_parts') : 0,
  };
  const result = {
    backend: options.backend,
    interactions,
    messages,
    averageMessageChars: messages > 0 ? messageChars / messages : 0,
    agentsPerInteraction: rowsOf('interaction_agents') / interactions,
    attributesPerInteraction: rowsOf('custom_attributes') / interactions,
    loadStart,
    loadEnd: load(),
    tables: measured,
    bytesPer: Object.fromEntries(Object.entries(perUnit).map(([k, v]) => [k, Math.round(v)])),
  };
  process.stdout.write(`\n${options.backend}, ${interactions} interactions (load ${loadStart} → ${result.loadEnd})\n\n`);
  process.stdout.write('| table | rows | bytes incl. indexes | table alone | bytes/row incl. indexes |\n|---|---|---|---|---|\n');
  for (const [t, m] of Object.entries(measured).sort((a, b) => b[1].bytes - a[1].bytes)) {
    if (m.bytes === 0 && m.rows === 0) continue;
    const per = m.rows > 0 ? Math.round(m.bytes / m.rows) : '–';
    process.stdout.write(`| ${t} | ${m.rows} | ${m.bytes} | ${m.tableBytes} | ${per} |\n`);
  }
  process.stdout.write('\n| unit | bytes |\n|---|---|\n');
  for (const [k, v] of Object.entries(result.bytesPer)) process.stdout.write(`| ${k} | ${v} |\n`);
  process.stdout.write(
    `\nmessages ${messages} (average ${result.averageMessageChars.toFixed(0)} characters of text), ` +
      `${result.agentsPerInteraction.toFixed(2)} agents and ${result.attributesPerInteraction.toFixed(2)} attributes per interaction\n`,
  );
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}-${options.backend}-${options.interactions}-capacity.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
