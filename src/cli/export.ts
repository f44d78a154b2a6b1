/** `ixvault export create | list | show | cancel`: export jobs from the command line (the native API has the same). */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { checkExportSpec, EXPORT_SCHEDULES } from '../domain/export.js';
import type { ExportJobView } from '../services/exports.js';
import { addStoreOptions, openFromFlags, type StoreFlags } from './common.js';
import { Progress } from './progress.js';

const show = (job: ExportJobView) => `${JSON.stringify(job, null, 2)}\n`;

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description('Export jobs: content and a SHA-256 manifest per run, one-off or recurring (in the export directory)');

  addStoreOptions(
    command
      .command('create')
      .description('Create an export job and, unless --detach, run it here to the end with progress')
      .requiredOption('--tenant <id>', 'the tenant to export')
      .requiredOption('--start <instant>', 'export interactions that started at or after this ISO 8601 instant')
      .option('--end <instant>', 'one-off job: …and at or before this instant')
      .option('--schedule <every>', `recurring job: ${EXPORT_SCHEDULES.join(' or ')} (no --end)`)
      .option('--delay-minutes <n>', 'recurring job: only content older than this (default 720)')
      .option('--content-type <type...>', 'only these content types (callRecording, transcript, …)')
      .option('--direction <dir...>', 'only these initial directions: inbound, outbound')
      .option('--media-type <type...>', 'only these media types (call, chat, email, …)')
      .option('--detach', 'only create the job; a running server (serve) takes it'),
  ).action(
    async (
      flags: StoreFlags & {
        tenant: string;
        start: string;
        end?: string;
        schedule?: string;
        delayMinutes?: string;
        contentType?: string[];
        direction?: string[];
        mediaType?: string[];
        detach?: boolean;
      },
    ) => {
      const input: Parameters<typeof checkExportSpec>[0] = {
        startDate: flags.start,
        filters: {
          contentTypes: flags.contentType ?? [],
          initialDirection: flags.direction ?? [],
          mediaTypes: flags.mediaType ?? [],
        },
      };
      if (flags.end !== undefined) input.endDate = flags.end;
      if (flags.schedule !== undefined) input.schedule = flags.schedule;
      if (flags.delayMinutes !== undefined) input.delayMinutes = Number(flags.delayMinutes);
      const spec = checkExportSpec(input, (field, value) => {
        const ms = Date.parse(value);
        if (Number.isNaN(ms)) throw new Error(`${field}: must be an ISO 8601 instant, got '${value}'`);
        return ms;
      });
      const { runtime } = await openFromFlags(flags, { tenants: [] });
      try {
        let job = await runtime.exports.createFor(flags.tenant, `cli:${userInfo().username}`, spec);
        process.stderr.write(`created export job ${job.id}\n`);
        if (!flags.detach) {
          let progress: Progress | undefined;
          let seen = 0;
          job = await runtime.exports.runOne(flags.tenant, job.id, (now) => {
            progress ??= new Progress(`exporting run ${now.run}`, now.progress.total ?? undefined);
            progress.tick(now.progress.interactions - seen);
            seen = now.progress.interactions;
          });
          (progress as Progress | undefined)?.finish();
        }
        process.stdout.write(show(job));
        if (job.status === 'failed') process.exitCode = 1;
      } finally {
        await runtime.close();
      }
    },
  );

  addStoreOptions(
    command.command('list').description("A tenant's export jobs, newest first").requiredOption('--tenant <id>', 'the tenant'),
  ).action(async (flags: StoreFlags & { tenant: string }) => {
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      for (const job of await runtime.exports.listOf(flags.tenant))
        process.stdout.write(
          `${job.id}  ${job.status.padEnd(9)}  run ${job.run}  ${job.progress.interactions}/${job.progress.total ?? '?'} interactions  ${job.progress.files} files  ${job.errors.length} errors\n`,
        );
    } finally {
      await runtime.close();
    }
  });

  addStoreOptions(
    command
      .command('show')
      .description('An export job: status, progress, counts, errors')
      .argument('<id>', 'the job id')
      .requiredOption('--tenant <id>', 'the tenant'),
  ).action(async (id: string, flags: StoreFlags & { tenant: string }) => {
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      process.stdout.write(show(await runtime.exports.getOf(flags.tenant, id)));
    } finally {
      await runtime.close();
    }
  });

  addStoreOptions(
    command
      .command('cancel')
      .description('Cancel an export job (the batch under way is not committed)')
      .argument('<id>', 'the job id')
      .requiredOption('--tenant <id>', 'the tenant'),
  ).action(async (id: string, flags: StoreFlags & { tenant: string }) => {
    const { runtime } = await openFromFlags(flags, { tenants: [] });
    try {
      process.stdout.write(show(await runtime.exports.cancelOf(flags.tenant, id, `cli:${userInfo().username}`)));
    } finally {
      await runtime.close();
    }
  });
}
