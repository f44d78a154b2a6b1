/** The client side of the HTTP workloads: Node's own fetch (undici, keep-alive) and the credentials of bench/lib/principals.ts. */
import { CLIENT } from './principals.js';

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
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`GET ${url}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return body.byteLength;
}
