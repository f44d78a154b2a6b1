/**
 * nginx (Debian's) as the load balancer in front of ixvault nodes, for the
 * cluster tests, the benchmarks and `npm run cluster`: run as this user, with
 * its own prefix, configuration and temporary directories, on loopback.
 *
 * Routing (docs/DECISIONS.md, "Cluster"): every request goes round-robin to a
 * live node, except CometD's, which stick to the node that holds the session:
 * nginx names the node that answered in a cookie (`ixvault_node`), and a
 * request carrying it goes to that node. If that node is gone, the request
 * goes to any live node, which answers "unknown client"; the client
 * handshakes again there, and the cookie follows. Websockets need no cookie:
 * one connection stays on one node.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, unprivileged, waitForPort } from './redis-server.mjs';

export function findNginx() {
  const found = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' });
  return found.stdout.trim().split('\n')[0] || undefined;
}

/**
 * What goes in nginx's `http` block for an ixvault cluster (docs/DEPLOYMENT.md
 * shows it for three nodes, and a test checks the page against this):
 * `nodes` is [{ name, address }] (name: [a-z0-9]+, address: host:port), `listen`
 * nginx's listen address.
 */
export function nginxSite({ nodes, listen }) {
  const servers = nodes.map((n) => `  server ${n.address} max_fails=1 fail_timeout=3s;`).join('\n');
  const perNode = nodes.map((n) => `upstream ixvault_${n.name} {\n  server ${n.address};\n}`).join('\n');
  const byCookie = nodes.map((n) => `  ${n.name} ixvault_${n.name};`).join('\n');
  const byAddress = nodes.map((n) => `  "~(^|, )${n.address.replace(/\./g, '\\.')}$" ${n.name};`).join('\n');
  return `# ixvault behind nginx: round-robin, CometD sticky by the ixvault_node cookie (scripts/nginx-lb.mjs).
upstream ixvault {
${servers}
  keepalive 64;
}
${perNode}

map $http_upgrade $connection_upgrade {
  default upgrade;
  "" "";
}
# The node a CometD request sticks to; without the cookie (or with a stale one) any node.
map $cookie_ixvault_node $cometd_upstream {
  default ixvault;
${byCookie}
}
# The node that answered (the last address nginx tried).
map $upstream_addr $ixvault_served_by {
  default "";
${byAddress}
}

server {
  listen ${listen};
  # ixvault bounds bodies and times itself; uploads and downloads stream through.
  client_max_body_size 0;
  proxy_request_buffering off;
  proxy_buffering off;
  proxy_http_version 1.1;
  proxy_read_timeout 120s;
  proxy_send_timeout 120s;
  # A node that is down or shutting down (503) is skipped; a request already sent is not repeated.
  proxy_next_upstream error timeout http_502 http_503;
  proxy_next_upstream_tries 3;
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;

  location / {
    proxy_set_header Connection "";
    proxy_pass http://ixvault;
  }

  location /api/v2/notifications {
    # Bayeux bodies are small: buffered, so a request can be sent again to another node.
    proxy_request_buffering on;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    add_header Set-Cookie "ixvault_node=$ixvault_served_by; Path=/api/v2/notifications; HttpOnly; SameSite=Lax" always;
    proxy_pass http://$cometd_upstream;
    error_page 502 504 = @cometd_any_node;
  }

  location @cometd_any_node {
    proxy_request_buffering on;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    add_header Set-Cookie "ixvault_node=$ixvault_served_by; Path=/api/v2/notifications; HttpOnly; SameSite=Lax" always;
    proxy_pass http://ixvault;
  }
}
`;
}

/** A whole configuration for an nginx of its own: pid, logs and temporary files under `prefix`. */
export function nginxConfig({ nodes, listen, prefix }) {
  const site = nginxSite({ nodes, listen })
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${site}}
`;
}

/** Starts nginx in front of `nodes`; returns { url, port, stop, reload } or undefined when nginx is not installed. */
export async function startLoadBalancer({ nodes, log = () => {} }) {
  const bin = findNginx();
  if (!bin) return undefined;
  const prefix = mkdtempSync(join(tmpdir(), 'ixvault-nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  chmodSync(prefix, 0o755);
  const user = unprivileged();
  user.own(prefix);
  user.own(join(prefix, 'tmp'));
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ nodes, listen: `127.0.0.1:${port}`, prefix }));
  // -e: nginx opens its compiled-in error log before reading the configuration; stderr needs no privileges.
  const child = spawn(bin, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...user.spawn,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let exited = false;
  const gone = new Promise((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  try {
    await waitForPort(port, { exited: () => exited });
  } catch (err) {
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${err.message}\n${stderr}`);
  }
  log(`nginx listening on 127.0.0.1:${port} (configuration: ${conf})`);
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      // SIGQUIT would wait for long-polls and websockets; SIGTERM closes at once.
      if (!exited) child.kill('SIGTERM');
      await gone;
      rmSync(prefix, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, config: conf, stop };
}
