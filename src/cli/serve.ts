/** `ixvault serve`: the HTTP server; with --demo, a demo tenant and demo data on first start. */
import type { Command } from 'commander';
import type { PrincipalsConfig } from '../auth/directory.js';
import { DEFAULTS, EDGE_DEFAULTS, resolveEdgeLimits, type Topology, topologyOf } from '../config.js';
import { LOG_FORMATS, type LogFormat } from '../logging.js';
import { prestartWriterThread } from '../store/writer-thread.js';
import { addStoreOptions, configOf, demoPrincipalsFile, loadPrincipals, openFromFlags } from './common.js';
import { Progress } from './progress.js';

const DEMO_INTERACTIONS = 3000;

const SERVE_EXAMPLES = `
Examples:
  ixvault serve --demo                        a demo tenant with generated data in ./data (what npm start runs)
  ixvault serve --config principals.json      your tenants, users and clients (see ixvault tenant|user|client add --help)
  ixvault serve --port 8081 --data /var/lib/ixvault --config /etc/ixvault/principals.yaml
  ixvault serve --database-url postgres://user:pass@host:5432/ixvault --config principals.json --single-node
Every option can also be set by the environment variable named beside it. Ctrl-C (or SIGTERM) stops the
server after in-flight requests finish.`;

export function registerServe(program: Command): void {
  // The options a first run needs come first in --help: where it listens, the demo, then the store's.
  const serve = program
    .command('serve')
    .description('Run the HTTP server (native, Vonage- and Genesys-compatible APIs)')
    .option('--port <n>', 'TCP port (env IXVAULT_PORT; default 8080)', undefined)
    .option('--host <addr>', 'address to listen on (env IXVAULT_HOST; default 127.0.0.1)', undefined)
    .option(
      '--demo',
      'without --config: use a demo tenant (credentials in DATA/demo-principals.json) and load demo data into an empty store',
    );
  addStoreOptions(serve);
  serve
    .option('--max-content-bytes <n>', 'largest accepted content upload (env IXVAULT_MAX_CONTENT_BYTES)')
    .option('--result-ttl-ms <n>', 'how long a Genesys result waits for a CometD session of its user (env IXVAULT_RESULT_TTL_MS)')
    .option(
      '--search-budget-ms <n>',
      'time a full-text search (q) may run before it is stopped with a 400 (env IXVAULT_SEARCH_BUDGET_MS; default 3000)',
    )
    .option('--body-limit-bytes <n>', 'largest JSON request body (env IXVAULT_BODY_LIMIT_BYTES)')
    .option(
      '--bayeux-body-limit-bytes <n>',
      'largest CometD request body or websocket frame (env IXVAULT_BAYEUX_BODY_LIMIT_BYTES)',
    )
    .option(
      '--bayeux-sessions-per-principal <n>',
      'CometD sessions one user or client may have open, 0 for no limit (env IXVAULT_BAYEUX_SESSIONS_PER_PRINCIPAL)',
    )
    .option(
      '--body-timeout-ms <n>',
      'grace for a request body, after which it must keep the minimum rate (env IXVAULT_BODY_TIMEOUT_MS)',
    )
    .option('--body-min-bytes-per-second <n>', 'minimum average rate of a request body (env IXVAULT_BODY_MIN_BYTES_PER_SECOND)')
    .option('--headers-timeout-ms <n>', 'time allowed to send request headers (env IXVAULT_HEADERS_TIMEOUT_MS)')
    .option('--request-timeout-ms <n>', 'time allowed to send a whole request, uploads included (env IXVAULT_REQUEST_TIMEOUT_MS)')
    .option(
      '--cors-origin <origins>',
      'browser origins allowed to call the APIs, comma-separated; default none (env IXVAULT_CORS_ORIGIN)',
    )
    .option('--jsonp', 'answer CometD JSON-P (callback-polling) requests (env IXVAULT_JSONP=1)')
    .option(
      '--trusted-proxies <addresses>',
      "load balancers or TLS proxies in front of this node (IP addresses, CIDR ranges, or 'loopback'), comma-separated: their X-Forwarded-For/-Proto/-Host are believed; default none (env IXVAULT_TRUSTED_PROXIES)",
    )
    .option(
      '--rate-limit <n>',
      'requests per minute per principal, 0 for none; a client with rateLimitPerMinute in the principals file has its own (env IXVAULT_RATE_LIMIT)',
    )
    .option('--ip-rate-limit <n>', 'requests per minute per IP without credentials, 0 for none (env IXVAULT_IP_RATE_LIMIT)')
    .option(
      '--search-time-per-minute-ms <n>',
      'milliseconds of text search (q) one user or client may spend a minute, 0 for no limit (env IXVAULT_SEARCH_TIME_PER_MINUTE_MS; default 20000)',
    )
    .option(
      '--pending-searches-per-principal <n>',
      'Genesys requests computing at once per principal (env IXVAULT_PENDING_SEARCHES_PER_PRINCIPAL)',
    )
    .option('--pending-searches <n>', 'Genesys requests computing at once in all (env IXVAULT_PENDING_SEARCHES)')
    .option(
      '--held-bytes-per-principal <n>',
      'bytes of Genesys results waiting for a CometD session, per principal (env IXVAULT_HELD_BYTES_PER_PRINCIPAL)',
    )
    .option('--held-bytes <n>', 'bytes of Genesys results waiting for CometD sessions in all (env IXVAULT_HELD_BYTES)')
    .option('--password-workers <n>', 'threads verifying passwords (env IXVAULT_PASSWORD_WORKERS)')
    .option('--password-queue <n>', 'password checks that may wait for a thread; more get 429 (env IXVAULT_PASSWORD_QUEUE)')
    .option(
      '--redis-url <url>',
      'Redis shared by the nodes of a cluster: CometD results across nodes, held results, referenceIds, rate limits, locks (env IXVAULT_REDIS_URL)',
    )
    .option(
      '--single-node',
      'on PostgreSQL without --redis-url: this is the only ixvault on the database (env IXVAULT_SINGLE_NODE=1)',
    )
    .option('--db-pool-size <n>', 'PostgreSQL connections of this node (env IXVAULT_DB_POOL_SIZE; default 10)')
    .option(
      '--no-migrate',
      'never change the database schema; refuse to start if migrations are pending (e.g. a Citus worker node; env IXVAULT_NO_MIGRATE=1)',
    )
    .option(
      '--log-format <format>',
      `${LOG_FORMATS.join(' or ')} (env IXVAULT_LOG_FORMAT; default pretty on a terminal, json otherwise)`,
    )
    .option(
      '--retention-interval-ms <n>',
      'how often retention policies are enforced, 0 for never (env IXVAULT_RETENTION_INTERVAL_MS; default 3600000)',
    )
    .addHelpText('after', SERVE_EXAMPLES);
  documentDefaults(serve);
  serve.action(async (flags) => {
    const config = configOf(flags);
    // Before anything opens: a PostgreSQL node without Redis must say it runs alone.
    const topology = topologyOf(config);
    const limits = resolveEdgeLimits({
      ...flags,
      corsOrigins: flags.corsOrigin,
      rateLimitPerMinute: flags.rateLimit,
      ipRateLimitPerMinute: flags.ipRateLimit,
    });
    const logFormat = flags.logFormat ?? config.logFormat;
    if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat))
      throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got '${logFormat}'`);
    // The SQLite writer thread loads its modules while this thread loads the server's (writer-thread.ts).
    if (!config.databaseUrl) prestartWriterThread();
    // The server, the database drivers and the Bayeux server load only here, not for every command.
    const [{ startServer }, demo] = await Promise.all([import('../server.js'), import('../demo/principals.js')]);
    let principals: PrincipalsConfig;
    let demoFile: string | undefined;
    if (flags.demo && !config.configFile) {
      demoFile = demoPrincipalsFile(config);
      principals = await demo.demoPrincipals(demoFile);
    } else {
      principals = await loadPrincipals(config);
    }
    const { runtime } = await openFromFlags(
      flags,
      principals,
      config.retentionIntervalMs > 0 ? { retention: { intervalMs: config.retentionIntervalMs } } : {},
    );
    const tenant = runtime.directory.tenants.get(demo.DEMO_TENANT);
    if (demoFile && tenant) {
      const existing = await runtime.vault.searches.search({ tenantId: tenant.id }, { source: 'main', order: 'desc', limit: 1 });
      if (existing.items.length === 0) {
        const { seedContactCenter } = await import('../demo/seed.js');
        const progress = new Progress('loading demo contact center', DEMO_INTERACTIONS);
        const now = Date.now();
        const loaded = await seedContactCenter(
          runtime.vault,
          tenant,
          {
            seed: demo.DEMO_SEED,
            agents: demo.DEMO_AGENTS,
            contacts: 400,
            interactions: DEMO_INTERACTIONS,
            fromMs: now - 30 * 86_400_000,
            // Interactions last up to an hour: end them all before now.
            toMs: now - 2 * 3_600_000,
            contentRatio: 0.3,
            messagesPerChat: 12,
          },
          (n) => progress.tick(n),
        );
        progress.finish();
        process.stderr.write(`loaded ${loaded.interactions} interactions and ${loaded.contentItems} content items\n`);
      }
    }
    const server = await startServer(runtime, {
      host: config.host,
      port: config.port,
      logLevel: config.logLevel,
      logFormat: logFormat as LogFormat | undefined,
      resultTtlMs: config.resultTtlMs,
      limits,
    }).catch(async (err) => {
      await runtime.close();
      throw err;
    });
    // Export jobs run in servers only: every server takes due jobs, one process per job (a lease).
    runtime.exports.start();
    // An erasure whose scrub a stop cut short gets it now, in the background.
    await runtime.erasures.resumeScrub();
    printBanner(
      server.url,
      `${describeTopology(topology, config.dataDir)}; content ${
        config.blobStore.kind === 's3' ? `in ${runtime.blobLocation}` : 'on disk'
      }`,
      principals,
      demoFile,
    );
    let signals = 0;
    const shutdown = (signal: string) => {
      signals++;
      if (signals > 1) process.exit(1);
      server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
      server.stop().then(
        () => process.exit(0),
        (err) => {
          process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // A promise rejected with no handler is a bug on one request's path (session 6: a malformed CometD
    // message). Node would end the process, so every such bug would be a denial of service anyone can
    // send; what a request wrote was durable before it was acknowledged, so serving on loses nothing.
    process.on('unhandledRejection', (reason) => server.app.log.error({ err: reason }, 'a promise was rejected with no handler'));
  });
}

/** `4294967296 = 4 GiB`: a size as the flag takes it, and as a person reads it. */
function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (bytes >= size && bytes % size === 0) return `${bytes} = ${bytes / size} ${unit}`;
  return String(bytes);
}

/**
 * Appends each numeric option's default to its help, read from the values the server applies
 * (DEFAULTS, EDGE_DEFAULTS), so that `serve --help` cannot drift from them.
 */
function documentDefaults(command: Command): void {
  const defaults: Record<string, number> = {
    ...Object.fromEntries(Object.entries(EDGE_DEFAULTS).filter(([, value]) => typeof value === 'number')),
    // The two rate limits' flags are shorter than their settings' names.
    rateLimit: EDGE_DEFAULTS.rateLimitPerMinute,
    ipRateLimit: EDGE_DEFAULTS.ipRateLimitPerMinute,
    maxContentBytes: DEFAULTS.maxContentBytes,
    resultTtlMs: DEFAULTS.resultTtlMs,
  };
  for (const option of command.options) {
    const value = defaults[option.attributeName()];
    if (value === undefined || /\bdefault\b/.test(option.description)) continue;
    const text = option.attributeName().includes('Bytes') ? sizeText(value) : String(value);
    option.description = option.description.endsWith(')')
      ? `${option.description.slice(0, -1)}; default ${text})`
      : `${option.description} (default ${text})`;
  }
}

function describeTopology(topology: Topology, dataDir: string): string {
  switch (topology) {
    case 'embedded':
      return `SQLite in ${dataDir}`;
    case 'single-node':
      return 'PostgreSQL, single node: sessions, held results and referenceIds in this process';
    case 'cluster':
      return 'PostgreSQL, cluster node: shared state in Redis';
  }
}

function printBanner(url: string, database: string, principals: PrincipalsConfig, demoFile: string | undefined) {
  process.stdout.write(bannerText(url, database, principals, demoFile));
}

/**
 * What `serve` prints once it listens: where everything is, the demo's credentials (with `demoFile`),
 * that nobody can sign in when the principals name no user or client, and how to stop.
 */
export function bannerText(url: string, database: string, principals: PrincipalsConfig, demoFile?: string): string {
  const entries: [string, string][] = [
    ['console', `${url}/console/`],
    ['API reference', `${url}/docs   (OpenAPI: ${url}/openapi.json)`],
    ['native API', `${url}/api/v1/interactions`],
    ['Vonage-compatible', `${url}/interaction-content/interactions`],
    ['Genesys-compatible', `${url}/api/v2/ucs/interactions  (CometD: ${url}/api/v2/notifications)`],
  ];
  const width = Math.max(...entries.map(([name]) => name.length)) + 2;
  const lines = [
    '',
    `ixvault is listening on ${url}  (${database})`,
    ...entries.map(([name, at]) => `  ${`${name}:`.padEnd(width)}${at}`),
  ];
  const signIns = principals.tenants.reduce((n, t) => n + (t.users?.length ?? 0) + (t.clients?.length ?? 0), 0);
  if (signIns === 0)
    lines.push(
      '',
      'No users or API clients: nobody can sign in. Start with --demo for a demo tenant, or give --config FILE',
      '(ixvault tenant add NAME --config FILE, then ixvault user add … creates one).',
    );
  const tenant = demoFile ? principals.tenants[0] : undefined;
  if (tenant) {
    lines.push('', `demo tenant '${tenant.id}' (credentials kept in ${demoFile}):`);
    for (const u of tenant.users ?? []) lines.push(`  user   ${u.userName.padEnd(12)} password ${u.password}  (${u.role})`);
    for (const c of tenant.clients ?? [])
      lines.push(`  client ${c.clientId.padEnd(12)} secret   ${c.clientSecret}  (${c.scopes.join(' ')})`);
    const supervisor = tenant.users?.find((u) => u.role === 'supervisor');
    if (supervisor)
      lines.push('', 'try:', `  curl -u ${supervisor.userName}:${supervisor.password} '${url}/api/v1/interactions?limit=2'`);
  }
  lines.push('', 'Ctrl-C stops the server (in-flight requests finish first).');
  return `${lines.join('\n')}\n\n`;
}
