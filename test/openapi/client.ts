/**
 * A client of ixvault written only against the types openapi-typescript
 * generates from `/openapi.json` (./generated/ixvault.d.ts), with
 * openapi-fetch: nothing in it is hand-typed. It creates, patches, uploads
 * content to, searches and deletes an interaction, reads an error in the
 * native problem format, and downloads through the Vonage facade with the
 * headers the description asks for. test/openapi/toolchain.test.ts
 * type-checks it against freshly generated types and runs it against a
 * real server.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/ixvault.js';

export type Problem = components['schemas']['Problem'];
export type InteractionInput = components['schemas']['InteractionInput'];

const VONAGE_ACCEPT = 'application/vnd.newvoicemedia.v3+json';

export function ixvaultClient(baseUrl: string, authorization: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: authorization } });
}

type Client = ReturnType<typeof ixvaultClient>;

/** Throws with the problem's detail when a call failed; returns its data otherwise. */
function expectData<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new Error(`${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}

export interface Lifecycle {
  id: string;
  guid: string;
  created: boolean;
  patchedSubject: string | undefined;
  uploaded: { contentKey: string; contentLength: number } | undefined;
  found: string[];
  vonageContentType: string | null;
  vonageBytes: string;
  unknownField: Problem | undefined;
  deletedStatus: number;
  afterDelete: Problem | undefined;
}

/** The whole life of one interaction, through the generated types only. */
export async function lifecycle(writer: Client, reader: Client, vonageToken: string, baseUrl: string): Promise<Lifecycle> {
  const record: InteractionInput = {
    mediaType: 'call',
    typeId: 'Inbound',
    startDate: '2025-05-06T07:08:09Z',
    connectFrom: '+15550100',
    connectTo: '+15550199',
    ownerInformation: { id: 'agent-1' },
    customAttributes: { queue: 'typed-client' },
  };
  const created = expectData(await writer.POST('/api/v1/interactions', { body: record }));
  const id = created.id ?? '';
  const guid = created.guid ?? '';

  expectData(
    await writer.PATCH('/api/v1/interactions/{id}', {
      params: { path: { id } },
      body: { subject: 'patched by the typed client', comment: null },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    }),
  );
  const read = expectData(await reader.GET('/api/v1/interactions/{id}', { params: { path: { id }, query: {} } }));

  const uploaded = expectData(
    await writer.PUT('/api/v1/interactions/{id}/content/{contentKey}', {
      params: { path: { id, contentKey: 'callRecording' }, query: { duration: '1500' } },
      body: 'RIFF typed client recording',
      bodySerializer: (body) => body,
      headers: { 'Content-Type': 'audio/wav' },
    }),
  );

  const page = expectData(
    await reader.GET('/api/v1/interactions', {
      params: { query: { from: '2025-05-06T00:00:00Z', to: '2025-05-07T00:00:00Z', connectFrom: '+1555', hasContent: true } },
    }),
  );

  // The Vonage facade, through the same generated types: its Accept header is a declared parameter.
  const vonage = createClient<paths>({ baseUrl, headers: { Authorization: vonageToken } });
  const download = await vonage.GET('/interaction-content/interactions/{guid}/content/{contentKey}', {
    params: { path: { guid, contentKey: 'callRecording' }, header: { accept: VONAGE_ACCEPT } },
    parseAs: 'text',
  });

  // A field the schema does not list: the types refuse it, and so does the server.
  const refused = await writer.POST('/api/v1/interactions', {
    body: {
      mediaType: 'call',
      startDate: '2025-05-06T07:08:09Z',
      // @ts-expect-error customAttribute is not a field of InteractionInput (customAttributes is)
      customAttribute: 'silently dropped before issue 9',
    },
  });

  const deleted = await writer.DELETE('/api/v1/interactions/{id}', { params: { path: { id } } });
  const gone = await reader.GET('/api/v1/interactions/{id}', { params: { path: { id }, query: {} } });

  return {
    id,
    guid,
    created: created.created === true,
    patchedSubject: read.subject,
    uploaded:
      uploaded.contentKey !== undefined
        ? { contentKey: uploaded.contentKey, contentLength: uploaded.contentLength ?? -1 }
        : undefined,
    found: (page.items ?? []).map((item) => item.id ?? ''),
    vonageContentType: download.response.headers.get('content-type'),
    vonageBytes: typeof download.data === 'string' ? download.data : '',
    unknownField: refused.error,
    deletedStatus: deleted.response.status,
    afterDelete: gone.error,
  };
}
