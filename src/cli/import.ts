/**
 * `ixvault import FILE.ndjson`: one canonical record per line. Invalid lines
 * are reported with their line numbers and skipped; valid ones are stored in
 * transactional batches. A record without id or guid gets a guid derived from
 * its line's content, so running the same file again updates instead of
 * duplicating. Reading streams: batches are written while the next ones are
 * read and validated (BatchPipeline); a line that repeats the id or guid of a
 * line not yet committed waits for that line's batch, so the last one wins.
 * The tenant must be one of the principals file's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { systemPrincipal } from '../demo/seed.js';
import { isVaultError } from '../domain/errors.js';
import { checkInteraction, type InteractionInput } from '../domain/validate.js';
import { prestartWriterThread } from '../store/writer-thread.js';
import {
  addStoreOptions,
  configOf,
  counted,
  loadPrincipals,
  openFromFlags,
  principalsFileOf,
  shownPath,
  wholeNumber,
} from './common.js';
import { Progress } from './progress.js';

const BATCH = 1000;
/**
 * Batches being written at once: while one transaction commits, the next is
 * read and validated. On SQLite the writes take turns on the one writer, so
 * two suffice; PostgreSQL writes them on connections of their own, in its own
 * processes, and four imported 12-26 % faster than two (docs/BENCHMARKS.md,
 * "Session 15").
 */
const IN_FLIGHT = { sqlite: 2, postgres: 4 } as const;

interface Line {
  line: number;
  input: InteractionInput;
}

/**
 * Lines into batches of BATCH, up to `inFlight` batches written at once. The
 * last line of an id or guid wins: a line naming an id or guid that a batch
 * not yet committed also names waits until every such batch has committed,
 * and goes into a later batch (two batches in flight never share an
 * identity, so their order does not matter).
 */
export class BatchPipeline {
  private batch: Line[] = [];
  private keys = new Set<string>();
  private readonly running = new Map<Promise<void>, Set<string>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly write: (batch: Line[]) => Promise<void>,
    private readonly inFlight: number,
  ) {}

  async add(line: Line): Promise<void> {
    const { id, guid } = line.input;
    const keys = [id && `id:${id}`, guid && `guid:${guid}`].filter((k): k is string => !!k);
    if (keys.some((k) => this.keys.has(k))) this.send();
    for (const [running, named] of this.running) if (keys.some((k) => named.has(k))) await running;
    this.rethrow();
    for (const k of keys) this.keys.add(k);
    this.batch.push(line);
    if (this.batch.length >= BATCH) {
      this.send();
      // Backpressure: reading waits while the writers are all busy.
      while (this.running.size >= this.inFlight) await Promise.race(this.running.keys());
      this.rethrow();
    }
  }

  /** Sends what is left and waits for every write; throws the first failure. */
  async finish(): Promise<void> {
    this.send();
    await this.settle();
    this.rethrow();
  }

  /** Waits for the writes under way, whatever their outcome. */
  async settle(): Promise<void> {
    await Promise.all(this.running.keys());
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    const keys = this.keys;
    this.batch = [];
    this.keys = new Set();
    const running: Promise<void> = this.write(batch)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(running));
    this.running.set(running, keys);
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}

export function registerImport(program: Command): void {
  addStoreOptions(
    program
      .command('import')
      .description('Import interactions from a newline-delimited JSON file (one canonical record per line)')
      .argument('<file>', 'the .ndjson file')
      .requiredOption(
        '--tenant <id>',
        'tenant the records belong to (must be in the principals file: --config, else DATA/demo-principals.json)',
      )
      .option('--max-errors <n>', 'stop after this many invalid lines', '1000')
      .option('--dry-run', 'validate every line and report as an import would, without opening the store or writing')
      .addHelpText('after', IMPORT_FORMAT_HELP),
  ).action(async (file: string, flags) => {
    const maxErrors = wholeNumber('--max-errors', flags.maxErrors);
    if (!existsSync(file)) throw new Error(`${file} does not exist`);
    const given = configOf(flags);
    // The SQLite writer thread loads its modules while this thread loads the store's (writer-thread.ts).
    if (!flags.dryRun && !given.databaseUrl) prestartWriterThread();
    const config = { ...given, configFile: principalsFileOf(given) };
    const principals = await loadPrincipals(config);
    if (!principals.tenants.some((t) => t.id === flags.tenant))
      throw new Error(
        config.configFile
          ? `tenant ${flags.tenant} is not in ${shownPath(config.configFile)} (add it with \`ixvault tenant add\`)`
          : `tenant ${flags.tenant} cannot be checked: give the principals file with --config (or IXVAULT_CONFIG)`,
      );
    if (flags.dryRun) return dryRun(file, maxErrors);
    const { runtime } = await openFromFlags(flags, principals);
    runtime.vault.store.batches?.warm();
    const tenant = runtime.directory.tenants.get(flags.tenant);
    if (!tenant) throw new Error(`tenant ${flags.tenant} is not in the principals`);
    // Through the vault as the tenant's system administrator: masked (card numbers) like every ingest.
    const principal = systemPrincipal(tenant);
    const size = statSync(file).size;
    const progress = new Progress(`importing ${file}`);
    let stored = 0;
    let invalid = 0;
    const report = (line: number, message: string) => {
      invalid++;
      process.stderr.write(`${file}:${line}: ${message}\n`);
    };
    /** One transaction; a batch the vault refuses is stored line by line to find and report the lines at fault. */
    const store = async (batch: Line[]) => {
      try {
        await runtime.vault.upsertValidated(
          principal,
          batch.map((b) => b.input),
        );
        stored += batch.length;
      } catch (err) {
        if (!isVaultError(err)) throw err;
        for (const b of batch) {
          try {
            await runtime.vault.upsertValidated(principal, [b.input]);
            stored++;
          } catch (one) {
            if (!isVaultError(one)) throw one;
            report(b.line, one.message);
          }
        }
      }
      progress.tick(batch.length);
    };
    const pipeline = new BatchPipeline(store, IN_FLIGHT[given.databaseUrl ? 'postgres' : 'sqlite']);
    try {
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      let lineNo = 0;
      for await (const text of lines) {
        lineNo++;
        if (text.trim() === '') continue;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (err) {
          report(lineNo, `not JSON: ${(err as Error).message}`);
        }
        if (raw !== undefined) {
          const { value, problems } = checkInteraction(raw);
          if (!value) report(lineNo, problems.map((p) => `${p.field}: ${p.message}`).join('; '));
          else {
            if (!value.id && !value.guid) value.guid = contentGuid(flags.tenant, text);
            await pipeline.add({ line: lineNo, input: value });
          }
        }
        if (invalid >= maxErrors) {
          process.stderr.write(`stopping: ${counted(invalid, 'invalid line')} (--max-errors)\n`);
          break;
        }
      }
      await pipeline.finish();
    } finally {
      // Whatever is still being written is waited for: the count printed is what was committed.
      await pipeline.settle();
      progress.finish();
      await runtime.close();
    }
    process.stdout.write(
      `imported ${counted(stored, 'interaction')} from ${file} (${size} bytes); ${counted(invalid, 'invalid line')}\n`,
    );
    if (invalid > 0) process.exitCode = 2;
  });
}

export const IMPORT_FORMAT_HELP = `
Record format: one JSON object per line, the canonical record of POST /api/v1/interactions.
  required  mediaType (call, chat, email, …), startDate (ISO 8601 with an offset)
  optional  id (1-64 of [0-9A-Za-z_.-]) or guid (UUID): a record with either replaces the stored one;
            without both, a guid is derived from the line, so re-importing the file updates, not duplicates
            typeId (Inbound, Outbound, Internal, Consult, Unknown), state (New, InProcess, Stopped, Pending),
            endDate, subject, contactId, connectFrom, connectTo, phoneNumber, callDuration (seconds),
            ownerInformation {id, userName, firstName, lastName}, handlingAgents [{id}],
            customAttributes {name: string}, userData {…},
            messages [{index, from {type, nickname, participantId}, type, text, timestamp, visibility}]
Example line:
  {"id":"0001KA2C7R3X9B1Q","mediaType":"chat","typeId":"Inbound","state":"Stopped","startDate":"2025-05-02T09:00:00Z","endDate":"2025-05-02T09:05:00Z","contactId":"C00000042","ownerInformation":{"id":"agent-7"},"customAttributes":{"SearchId":"123456"},"messages":[{"index":1,"from":{"type":"Customer","nickname":"Pat"},"type":"Text","text":"Hello","timestamp":"2025-05-02T09:00:05Z"}]}
Invalid lines are reported as FILE:LINE: field: problem and skipped; the exit code is 2 when any was.`;

/** Validates every line as an import would (JSON, then the canonical record), writing nothing. */
async function dryRun(file: string, maxErrors: number): Promise<void> {
  let valid = 0;
  let invalid = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    let problem: string | undefined;
    try {
      const { value, problems } = checkInteraction(JSON.parse(text));
      if (!value) problem = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    } catch (err) {
      problem = `not JSON: ${(err as Error).message}`;
    }
    if (problem === undefined) valid++;
    else {
      invalid++;
      process.stderr.write(`${file}:${lineNo}: ${problem}\n`);
      if (invalid >= maxErrors) {
        process.stderr.write(`stopping: ${counted(invalid, 'invalid line')} (--max-errors)\n`);
        break;
      }
    }
  }
  process.stdout.write(
    `dry run: ${counted(valid, 'valid record')}, ${counted(invalid, 'invalid line')} in ${file}; nothing was written\n`,
  );
  if (invalid > 0) process.exitCode = 2;
}

/** A UUID (version 8, "custom") from the tenant and the line's content. */
function contentGuid(tenant: string, line: string): string {
  const h = createHash('sha256').update(tenant).update('\n').update(line).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${'89ab'[Number.parseInt(h[16] ?? '0', 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
