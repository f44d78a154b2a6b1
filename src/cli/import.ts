/**
 * `ixvault import FILE.ndjson`: one canonical record per line. Invalid lines
 * are reported with their line numbers and skipped; valid ones are stored in
 * transactional batches. A record without id or guid gets a guid derived from
 * its line's content, so running the same file again updates instead of
 * duplicating. A line that repeats the id or guid of a line still waiting in
 * the batch first sends the batch: the later line then updates the record, so
 * the last one wins. The tenant must be one of the principals file's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { isVaultError } from '../domain/errors.js';
import { checkInteraction, type InteractionInput } from '../domain/validate.js';
import { addStoreOptions, configOf, loadPrincipals, openFromFlags } from './common.js';
import { Progress } from './progress.js';

const BATCH = 1000;

export function registerImport(program: Command): void {
  addStoreOptions(
    program
      .command('import')
      .description('Import interactions from a newline-delimited JSON file (one canonical record per line)')
      .argument('<file>', 'the .ndjson file')
      .requiredOption('--tenant <id>', 'tenant the records belong to (must be in the principals file given by --config)')
      .option('--max-errors <n>', 'stop after this many invalid lines', '1000'),
  ).action(async (file: string, flags) => {
    const config = configOf(flags);
    const principals = await loadPrincipals(config);
    if (!principals.tenants.some((t) => t.id === flags.tenant))
      throw new Error(
        config.configFile
          ? `tenant ${flags.tenant} is not in ${config.configFile} (add it with \`ixvault tenant add\`)`
          : `tenant ${flags.tenant} cannot be checked: give the principals file with --config (or IXVAULT_CONFIG)`,
      );
    const { runtime } = await openFromFlags(flags, principals);
    const maxErrors = Number(flags.maxErrors);
    const size = statSync(file).size;
    const progress = new Progress(`importing ${file}`);
    let batch: { line: number; input: InteractionInput }[] = [];
    const pending = new Set<string>();
    let stored = 0;
    let invalid = 0;
    const report = (line: number, message: string) => {
      invalid++;
      process.stderr.write(`${file}:${line}: ${message}\n`);
    };
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        await runtime.vault.interactions.upsertMany(
          flags.tenant,
          batch.map((b) => b.input),
        );
        stored += batch.length;
      } catch (err) {
        if (!isVaultError(err)) throw err;
        // Find the lines at fault: store the rest one by one.
        for (const b of batch) {
          try {
            await runtime.vault.interactions.upsertMany(flags.tenant, [b.input]);
            stored++;
          } catch (one) {
            if (!isVaultError(one)) throw one;
            report(b.line, one.message);
          }
        }
      }
      progress.tick(batch.length);
      batch = [];
      pending.clear();
    };
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
            const keys = [value.id && `id:${value.id}`, value.guid && `guid:${value.guid}`].filter((k): k is string => !!k);
            if (keys.some((k) => pending.has(k))) await flush();
            for (const k of keys) pending.add(k);
            batch.push({ line: lineNo, input: value });
            if (batch.length >= BATCH) await flush();
          }
        }
        if (invalid >= maxErrors) {
          process.stderr.write(`stopping: ${invalid} invalid lines (--max-errors)\n`);
          break;
        }
      }
      await flush();
    } finally {
      progress.finish();
      await runtime.close();
    }
    process.stdout.write(`imported ${stored} interactions from ${file} (${size} bytes); ${invalid} invalid lines\n`);
    if (invalid > 0) process.exitCode = 2;
  });
}

/** A UUID (version 8, "custom") from the tenant and the line's content. */
function contentGuid(tenant: string, line: string): string {
  const h = createHash('sha256').update(tenant).update('\n').update(line).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${'89ab'[Number.parseInt(h[16] ?? '0', 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
