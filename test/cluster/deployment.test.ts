/**
 * docs/DEPLOYMENT.md "works as written" as far as a test can tell here: its
 * nginx configuration is the one the cluster tests run (scripts/nginx-lb.mjs),
 * and nginx accepts it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNginx, nginxConfig, nginxSite } from '../../scripts/nginx-lb.mjs';

const EXAMPLE = {
  nodes: [
    { name: 'a', address: '10.0.0.11:8080' },
    { name: 'b', address: '10.0.0.12:8080' },
    { name: 'c', address: '10.0.0.13:8080' },
  ],
  listen: '80',
};

describe('docs/DEPLOYMENT.md', () => {
  it('shows the nginx configuration the cluster tests run, for its three example nodes', async () => {
    const page = await readFile('docs/DEPLOYMENT.md', 'utf8');
    expect(page).toContain(`\`\`\`nginx\n${nginxSite(EXAMPLE)}\`\`\``);
  });

  it('has a configuration nginx accepts', async () => {
    const nginx = findNginx();
    if (!nginx) throw new Error('nginx is not installed (apt-get install nginx; .ci/run installs it)');
    const prefix = await mkdtemp(join(tmpdir(), 'ixvault-nginx-t-'));
    try {
      await mkdir(join(prefix, 'tmp'));
      const conf = join(prefix, 'nginx.conf');
      await writeFile(conf, nginxConfig({ ...EXAMPLE, listen: '127.0.0.1:1', prefix }));
      // -t only parses and checks (upstream addresses need not exist); it writes nothing but its own log.
      // nginx -t reports on stderr, and exits non-zero (execFileSync throws, with the report) when it refuses.
      execFileSync(nginx, ['-t', '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { stdio: 'pipe' });
      expect(await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')).not.toMatch(/\[(emerg|alert|crit)\]/);
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });
});
