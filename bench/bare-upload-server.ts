/**
 * The uploads workload's second baseline: a bare node:http server, in its own
 * process like the ixvault server, that reads a small PUT body and does the
 * bare durable loop's work with it (bench/lib/bare-durable.ts), then answers
 * 201. What HTTP and a second process cost, without anything of ixvault.
 * Store location from IXVAULT_BENCH_BARE (JSON); PUT /<upload number>.
 */
import { openBareLoop } from './lib/bare-durable.js';
import { serveBare } from './lib/bare-server.js';

const store = JSON.parse(process.env.IXVAULT_BENCH_BARE ?? '{}') as { dataDir: string; databaseUrl?: string };
const bare = await openBareLoop(store, Number(process.env.IXVAULT_BENCH_IN_FLIGHT ?? 4));

serveBare(
  async (path, body) => {
    const i = Number(path.slice(1));
    await bare.upload(i, body);
    return { status: 201, body: `{"n":${i}}` };
  },
  () => bare.close(),
);
