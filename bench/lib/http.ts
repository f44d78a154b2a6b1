/**
 * The client side of the HTTP workloads: Node's own fetch (undici, keep-alive) by default — the client of
 * issue 15's outside measurement — or node:http with one keep-alive agent (`--client http`), whose own
 * allocation adds less to what a read measures (docs/BENCHMARKS.md, "The tail of the bare static
 * server: the client's share"); and the credentials of bench/lib/principals.ts.
 */
import http from 'node:http';
import { CLIENT } from './principals.js';

export const HTTP_CLIENTS = ['fetch', 'http'] as const;
export type HttpClient = (typeof HTTP_CLIENTS)[number];

let client: HttpClient = 'fetch';
const agent = new http.Agent({ keepAlive: true });

/** The client every page read uses from now on, API and static-bytes server alike. */
export function selectClient(name: HttpClient): void {
  client = name;
}

/** How the reads are made, for the result rows' labels. */
export function clientName(): string {
  return client === 'fetch' ? 'fetch' : 'node:http';
}

export async function bearerToken(baseUrl: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
  });
  const res = await fetch(`${baseUrl}/oauth2/token`, { method: 'POST', body });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

/** GET and read the whole body (bytes, not parsed: the client's JSON parsing is not the server's cost). */
export async function getBytes(url: string, headers: Record<string, string>): Promise<number> {
  if (client === 'http') return getBytesByHttp(url, headers);
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`GET ${url}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return body.byteLength;
}

function getBytesByHttp(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (status >= 300) chunks.push(chunk);
        });
        res.on('end', () => {
          if (status >= 300) reject(new Error(`GET ${url}: ${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
          else resolve(length);
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
