/**
 * The application core every facade calls: rights, validation and the
 * sequencing of store and blob work. Facades translate wire formats to these
 * calls; nothing below this layer knows about principals' roles or scopes.
 */
import { pipeline, type Readable, Transform } from 'node:stream';
import type { Transaction } from 'kysely';
import {
  type BlobStore,
  BlobTooLarge,
  type ByteRange,
  type DownloadHeaders,
  type SweepOptions,
  type SweepReport,
} from '../blobs/blob-store.js';
import { INLINE_MAX_BYTES, inlineStream, type ReadBody, readBody } from '../blobs/inline.js';
import type { KeyedLock } from '../cluster/coordination.js';
import type { AuditEntry, ChainedAuditEntry } from '../domain/audit.js';
import { toCanonicalJson } from '../domain/canonical.js';
import { CardRedactingBytes, redactCardNumbers, redactRecordTexts } from '../domain/card-redaction.js';
import { redactableText, validateContentMeta } from '../domain/content.js';
import { isDependencyFailure } from '../domain/dependency-failure.js';
import { CODES, errors, type FieldProblem, isVaultError } from '../domain/errors.js';
import { type LegalHold, validateHold } from '../domain/holds.js';
import type { ContentItem, InteractionWithDetails } from '../domain/interaction.js';
import { mergePatch } from '../domain/merge-patch.js';
import { describePrincipal, type Principal, redactsCardNumbers, visibilityOf } from '../domain/principal.js';
import { authorize, mayPerform, whatItNeeds } from '../domain/scopes.js';
import { type InteractionSearch, MAX_PAGE_SIZE, type PagePosition, type Source } from '../domain/search.js';
import { contentTexts, isTranscriptItem, MAX_TRANSCRIPT_BYTES } from '../domain/texts.js';
import { TimeAllowance } from '../domain/time-allowance.js';
import {
  checkInteraction,
  checkSearch,
  type InteractionInput,
  type MessageInput,
  validateAppendedMessages,
  validateInteraction,
} from '../domain/validate.js';
import { ArchiveRepository } from '../store/archive-repository.js';
import { type AuditFilter, type AuditPage, AuditRepository, type VerifyReport } from '../store/audit-repository.js';
import { ContentRepository } from '../store/content-repository.js';
import type { StoreConnection } from '../store/database.js';
import { blockingHolds, type HoldDetail, HoldRepository } from '../store/hold-repository.js';
import { InteractionRepository, type UpsertOutcome } from '../store/interaction-repository.js';
import { type RedactionReport, redactionReport } from '../store/redaction-report.js';
import type { Database } from '../store/schema.js';
import {
  DEFAULT_SEARCH_BUDGET_MS,
  type RenderedPage,
  type SearchOptions,
  type SearchPage,
  SearchRepository,
} from '../store/search-repository.js';
import { ContactService } from './contacts.js';
import { KeyLock } from './key-lock.js';

export const MAX_BATCH = 1000;
/** How the audit log names an interaction's messages (its transcript) as the item read: `#` is in no content key. */
export const TRANSCRIPT_KEY = '#messages';
/**
 * Time one sweep spends walking blob folders beyond those that changed since
 * the previous sweep: a very large store is covered over several sweeps.
 */
export const SWEEP_BUDGET_MS = 10_000;
/** Database-kept blobs a sweep checks per statement. */
const INLINE_SWEEP_SLICE = 500;

export interface VaultOptions {
  maxContentBytes: number;
  /** A text search's time budget (DEFAULT_SEARCH_BUDGET_MS when absent). */
  searchBudgetMs?: number;
  /**
   * Serializes publication and release of one blob (tenant and hash). In one
   * process by default; a cluster passes its Redis lock, for blob stores whose
   * publish/release protocol needs exclusion across nodes.
   */
  blobLock?: KeyedLock;
}

export interface ContentUpload {
  type?: string;
  contentType?: string;
  duration?: string;
  version?: string;
  owningAgent?: string;
  owningInteractionPlan?: string;
  /** Marks the item as holding sensitive data: downloading it needs content.readSensitive. */
  containsSensitiveData?: boolean;
  fileName?: string;
}

export interface OpenedContent {
  interactionId: string;
  guid: string;
  item: ContentItem;
  read(range?: ByteRange): Promise<Readable>;
  /**
   * Where the client may fetch the bytes itself (the read audited first, as
   * `read` does), when the blob store serves downloads by redirect; undefined
   * otherwise, and the bytes are `read`.
   */
  locate(headers: DownloadHeaders, range?: ByteRange): Promise<string | undefined>;
}

/** What ingest listeners learn of a stored interaction: enough to decide who may see it. */
export interface IngestedInteraction {
  id: string;
  guid: string;
  created: boolean;
  mediaType: string;
  startMs: number;
  ownerId?: string;
  handlingAgentIds: string[];
}

export type IngestListener = (tenantId: string, stored: IngestedInteraction[]) => void;

export class Vault {
  readonly interactions: InteractionRepository;
  readonly searches: SearchRepository;
  readonly content: ContentRepository;
  readonly archive: ArchiveRepository;
  readonly audits: AuditRepository;
  readonly holds: HoldRepository;
  readonly contacts: ContactService;
  private readonly blobLock: KeyedLock;
  private readonly ingestListeners = new Set<IngestListener>();
  /** Where the sweep's walk over the bytes kept in the database stands (undefined: at the start). */
  private inlineSweepCursor: { tenantId: string; sha256: string } | undefined;
  /** Each principal's text-search time (undefined: not limited); see limitSearchTime. */
  private searchTime: TimeAllowance | undefined;

  constructor(
    readonly store: StoreConnection,
    readonly blobs: BlobStore,
    readonly options: VaultOptions,
  ) {
    this.interactions = new InteractionRepository(store);
    this.searches = new SearchRepository(store, this.interactions);
    this.audits = new AuditRepository(store);
    this.content = new ContentRepository(store, this.interactions, this.audits);
    this.archive = new ArchiveRepository(store);
    this.holds = new HoldRepository(store);
    this.blobLock = options.blobLock ?? new KeyLock();
    this.contacts = new ContactService(store);
  }

  async upsert(principal: Principal, raw: unknown): Promise<UpsertOutcome> {
    authorize(principal, 'interaction.write');
    const input = redactInput(principal, validateInteraction(raw));
    const [outcome] = await this.auditingHeld(principal, this.interactions.upsertMany(principal.tenant.id, [input]));
    if (!outcome) throw errors.internal('upsert returned nothing');
    this.announce(principal.tenant.id, [input], [outcome]);
    return outcome;
  }

  /** All or nothing: one invalid record and none is stored; every invalid record is reported. */
  async upsertBatch(principal: Principal, raws: unknown[]): Promise<UpsertOutcome[]> {
    authorize(principal, 'interaction.write');
    return this.upsertValidated(principal, validateBatch(raws));
  }

  /**
   * Stores records a caller validated itself (`ixvault import` checks line by
   * line), all or nothing — masked like every other ingest first.
   */
  async upsertValidated(principal: Principal, validated: InteractionInput[]): Promise<UpsertOutcome[]> {
    authorize(principal, 'interaction.write');
    const inputs = validated.map((input) => redactInput(principal, input));
    const outcomes = await this.auditingHeld(principal, this.interactions.upsertMany(principal.tenant.id, inputs));
    this.announce(principal.tenant.id, inputs, outcomes);
    return outcomes;
  }

  /** Listens to interactions as they are stored by upsert and upsertBatch; returns how to stop. */
  onIngested(listener: IngestListener): () => void {
    this.ingestListeners.add(listener);
    return () => {
      this.ingestListeners.delete(listener);
    };
  }

  /** After the write committed; a listener's failure never fails the write. */
  private announce(tenantId: string, inputs: InteractionInput[], outcomes: UpsertOutcome[]): void {
    if (this.ingestListeners.size === 0) return;
    const stored = outcomes.map((outcome, i): IngestedInteraction => {
      const input = inputs[i];
      const entry: IngestedInteraction = {
        id: outcome.id,
        guid: outcome.guid,
        created: outcome.created,
        mediaType: input?.mediaType ?? '',
        startMs: input?.startMs ?? 0,
        handlingAgentIds: input?.handlingAgentIds ?? [],
      };
      if (input?.owner) entry.ownerId = input.owner.id;
      return entry;
    });
    for (const listener of this.ingestListeners) {
      try {
        listener(tenantId, stored);
      } catch {
        // Notification is best effort: the records are stored either way.
      }
    }
  }

  /**
   * A JSON merge patch (RFC 7396) on the canonical record, validated whole
   * before it is written; read, merge and write are one transaction with the
   * row locked, so concurrent patches never lose each other's changes.
   */
  async patch(principal: Principal, idOrGuid: string, patch: unknown): Promise<UpsertOutcome> {
    authorize(principal, 'interaction.write');
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw errors.invalidField('(body)', 'must be a JSON object');
    return this.mergeInto(principal, idOrGuid, (current) => {
      for (const key of ['id', 'guid'] as const) {
        const value = (patch as Record<string, unknown>)[key];
        if (value !== undefined && value !== current[key]) throw errors.invalidField(key, 'cannot be changed');
      }
      return patch;
    });
  }

  /**
   * What an agent's desktop records of a call (Genesys SetCallNote,
   * SetCallCompleted, SetCallContact): a merge patch made from the current
   * record, on a call the principal may see, through the same locked
   * read-merge-validate-write as `patch`.
   */
  async updateCall(
    principal: Principal,
    idOrGuid: string,
    patchOf: (current: InteractionWithDetails) => Record<string, unknown>,
  ): Promise<UpsertOutcome> {
    authorize(principal, 'call.update');
    return this.mergeInto(principal, idOrGuid, (current) => {
      if (current.mediaType !== 'call') throw errors.notACall(idOrGuid, current.mediaType);
      return patchOf(current);
    });
  }

  /**
   * Genesys FindPhoneCall: the call with this id (or guid) if the principal
   * may see it, else a new call of theirs with that identity. An id that is
   * taken by an interaction the principal may not see is refused, never
   * updated or shown.
   */
  async findOrCreateCall(principal: Principal, raw: Record<string, unknown>, callId: string): Promise<UpsertOutcome> {
    authorize(principal, 'call.update');
    const visibility = visibilityOf(principal);
    const found = async (): Promise<UpsertOutcome | undefined> => {
      const record = await this.interactions.get(visibility, callId);
      if (!record) return undefined;
      if (record.mediaType !== 'call') throw errors.notACall(callId, record.mediaType);
      return { id: record.id, guid: record.guid, created: false };
    };
    const existing = await found();
    if (existing) return existing;
    const input = redactInput(principal, validateInteraction(await this.linkContact(principal, raw)));
    try {
      const [outcome] = await this.interactions.upsertMany(principal.tenant.id, [input], Date.now(), 'create');
      if (!outcome) throw errors.internal('upsert returned nothing');
      this.announce(principal.tenant.id, [input], [outcome]);
      return outcome;
    } catch (err) {
      // The same call created by a concurrent request of the same principal is found, not refused.
      const raced = isVaultError(err) && err.code === CODES.identityConflict ? await found() : undefined;
      if (raced) return raced;
      throw err;
    }
  }

  /**
   * The contact of a new call: the one named (which must exist in the
   * tenant), else the oldest contact with the call's phone number, if any.
   */
  private async linkContact(principal: Principal, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
    const tenantId = principal.tenant.id;
    const { contactId, phoneNumber } = raw;
    if (typeof contactId === 'string') {
      if (!(await this.contacts.repository.exists(tenantId, contactId))) throw errors.contactNotFound(contactId, 'contactId');
      return raw;
    }
    if (typeof phoneNumber !== 'string') return raw;
    const [match] = await this.contacts.repository.find(tenantId, { phoneNumber }, 1);
    return match ? { ...raw, contactId: match.id } : raw;
  }

  /** Locked read, merge patch (RFC 7396) on the canonical record, whole validation, write. */
  private mergeInto(principal: Principal, idOrGuid: string, patchOf: (current: InteractionWithDetails) => unknown) {
    const write = this.interactions.modify(visibilityOf(principal), idOrGuid, (current) => {
      const patch = patchOf(current);
      const { messages: _messages, content: _content, cardNumbersRedacted: _count, ...rest } = toCanonicalJson(current);
      return redactInput(principal, validateInteraction(mergePatch(rest, patch)));
    });
    return this.auditingHeld(principal, write);
  }

  async appendMessages(principal: Principal, idOrGuid: string, raw: unknown) {
    authorize(principal, 'interaction.write');
    const { record, count } = redactMessages(principal, validateAppendedMessages(raw));
    return this.auditingHeld(
      principal,
      this.interactions.appendMessages(visibilityOf(principal), idOrGuid, record.messages, count),
    );
  }

  /**
   * A write refused because it would change what was said in a held
   * interaction is audited like a refused deletion: `interaction.write.refused`,
   * one entry per interaction, with the holds and the fields.
   */
  private async auditingHeld<T>(principal: Principal, write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      if (!isVaultError(err) || err.code !== CODES.interactionHeld) throw err;
      const held = (err.extra.heldInteractions as { interactionId: string; holds: string[] }[] | undefined) ?? [
        { interactionId: String(err.extra.interactionId), holds: err.extra.holds as string[] },
      ];
      const records = (err.extra.invalidRecords as { problems: FieldProblem[] }[] | undefined) ?? [{ problems: err.problems }];
      const atMs = Date.now();
      for (const [i, { interactionId, holds }] of held.entries())
        await this.content.audit(principal.tenant.id, {
          atMs,
          actor: describePrincipal(principal),
          action: 'interaction.write.refused',
          interactionId,
          detail: { holds, fields: (records[i]?.problems ?? []).map((p) => p.field) },
        });
      throw err;
    }
  }

  async get(principal: Principal, idOrGuid: string, source: Source = 'main'): Promise<InteractionWithDetails> {
    authorize(principal, 'interaction.read');
    const found = await this.interactions.get(visibilityOf(principal), idOrGuid, source);
    if (!found) throw errors.interactionNotFound(idOrGuid);
    return found;
  }

  /**
   * An interaction read with its messages or email body — a chat's transcript is content —
   * (native GET /interactions/{id}, Genesys GetInteractionContent): a record
   * with messages is audited as a content read, one principal's reads of one
   * transcript within a minute coalesced like Range reads. `admit` runs first:
   * a record the facade then refuses is not delivered, so not audited.
   */
  async getWithTranscript(
    principal: Principal,
    idOrGuid: string,
    source: Source = 'main',
    admit?: (record: InteractionWithDetails) => void,
  ): Promise<InteractionWithDetails> {
    const found = await this.get(principal, idOrGuid, source);
    admit?.(found);
    const hasBody = found.email?.text !== undefined || found.email?.html !== undefined;
    if (found.messages.length === 0 && !hasBody) return found;
    await this.audits.append(
      principal.tenant.id,
      {
        atMs: Date.now(),
        actor: describePrincipal(principal),
        action: 'content.read',
        interactionId: found.id,
        contentKey: TRANSCRIPT_KEY,
        detail: {
          messages: found.messages.length,
          ...(hasBody ? { emailBody: true } : {}),
          ...(source === 'archive' ? { source } : {}),
        },
      },
      undefined,
      { coalesceRead: true },
    );
    return found;
  }

  /**
   * Limits the time each principal's text searches may take a minute (0: no limit). A text search may run for
   * its whole budget, and on SQLite it holds the process's main thread while it runs; requests a minute do not
   * bound that. Per process: each node of a cluster keeps its own account.
   */
  limitSearchTime(perMinuteMs: number): void {
    this.searchTime = perMinuteMs > 0 ? new TimeAllowance(perMinuteMs) : undefined;
  }

  async search(principal: Principal, query: InteractionSearch, options: SearchOptions = {}): Promise<SearchPage> {
    authorize(principal, 'interaction.read');
    // A text query reads transcripts (a hit, its snippets, even a yes or no): content, which this principal
    // must be able to download. Sensitive transcripts are never indexed (isTranscriptItem).
    if (query.text !== undefined && !mayPerform(principal, 'content.read'))
      throw errors.forbidden(
        `a text query (q) searches transcripts too, which needs what downloading content does: ${whatItNeeds(principal, 'content.read')}`,
      );
    const checked = checkSearch(query);
    const budgetMs = options.budgetMs ?? this.options.searchBudgetMs ?? DEFAULT_SEARCH_BUDGET_MS;
    const run = () => this.searches.search(visibilityOf(principal), checked, { ...options, budgetMs });
    if (checked.text === undefined) return run();
    const allowance = this.searchTime;
    if (allowance === undefined) return run();
    const key = JSON.stringify([principal.tenant.id, principal.kind, principal.id]);
    const reservation = allowance.reserve(key, budgetMs, Date.now());
    if (!reservation.granted) throw errors.searchTimeSpent(allowance.perMinuteMs, reservation.retryAfterSeconds);
    const startedMs = performance.now();
    try {
      return await run();
    } finally {
      allowance.settle(key, reservation.reservedMs, performance.now() - startedMs, Date.now());
    }
  }

  /** A Vonage search page as the JSON of its items, from the renderings kept on write (no text query). */
  async vonagePage(principal: Principal, query: InteractionSearch): Promise<RenderedPage> {
    authorize(principal, 'interaction.read');
    return this.searches.vonagePage(visibilityOf(principal), checkSearch(query));
  }

  /**
   * Deletes an interaction and its content; bytes no longer referenced are
   * removed. Every deletion of an interaction comes here (native, Vonage
   * single and batch, retention, erasure): a legal hold refuses it with a 409,
   * and the refusal is audited as `<action>.refused`. `action` names the path
   * in the audit log.
   */
  async delete(
    principal: Principal,
    idOrGuid: string,
    action = 'interaction.delete',
    source: Source = 'main',
  ): Promise<{ id: string; guid: string }> {
    authorize(principal, 'interaction.delete');
    const { id, guid } = await this.deleteInteraction(principal, idOrGuid, action, source);
    return { id, guid };
  }

  /**
   * THE deletion of an interaction, whatever asks for it (native, Vonage single
   * and batch, retention, erasure): record, agents, attributes, messages and
   * content rows in one transaction with its audit entry, then the bytes nobody
   * references. A legal hold refuses it (`interactionHeld`, a conflict) and the
   * refusal is audited in the same transaction.
   */
  async deleteInteraction(principal: Principal, idOrGuid: string, action: string, source: Source = 'main') {
    const actor = describePrincipal(principal);
    // Audited in the deletion's own transaction: a crash leaves it deleted and audited, or neither.
    const outcome = await this.interactions.delete(visibilityOf(principal), idOrGuid, source, (trx, done) =>
      this.content.audit(
        principal.tenant.id,
        done.deleted
          ? {
              atMs: Date.now(),
              actor,
              action,
              interactionId: done.id,
              detail: { guid: done.guid, contentItems: done.sha256s.length, ...(source === 'archive' ? { source } : {}) },
            }
          : {
              atMs: Date.now(),
              actor,
              action: `${action}.refused`,
              interactionId: done.id,
              detail: { guid: done.guid, holds: done.holds },
            },
        trx,
      ),
    );
    if (!outcome) throw errors.interactionNotFound(idOrGuid);
    if (!outcome.deleted) throw errors.interactionHeld(outcome.id, outcome.holds);
    for (const sha of new Set(outcome.sha256s)) await this.releaseAfterCommit(principal.tenant.id, sha);
    return { id: outcome.id, guid: outcome.guid };
  }

  /**
   * Stores an upload and records it. Content up to INLINE_MAX_BYTES is kept in
   * the database with its row, in one durable transaction (src/blobs/inline.ts);
   * longer content streams into the blob store first. Nothing becomes visible
   * unless the whole body arrived within the size limit.
   */
  async putContent(
    principal: Principal,
    idOrGuid: string,
    contentKey: string,
    body: Readable,
    upload: ContentUpload,
  ): Promise<ContentItem> {
    authorize(principal, 'interaction.write');
    const meta = validateContentMeta(contentKey, upload);
    const visibility = visibilityOf(principal);
    const tenantId = principal.tenant.id;
    // Textual content (transcripts…) is redacted as it arrives: the original bytes are never written.
    const charset = redactsCardNumbers(principal.tenant) ? redactableText(meta.contentType) : undefined;
    const redactor = charset ? new CardRedactingBytes(charset) : undefined;
    // An attachment's name is text too: it is stored, listed and indexed like a subject.
    const fileName =
      meta.fileName !== undefined && redactsCardNumbers(principal.tenant) ? redactCardNumbers(meta.fileName) : undefined;
    const maxBytes = this.options.maxContentBytes;
    let read: ReadBody;
    try {
      read = await readBody(redactor ? redacting(body, redactor) : body, { maxBytes, inlineMax: INLINE_MAX_BYTES });
    } catch (err) {
      if (err instanceof BlobTooLarge) throw errors.contentTooLarge(err.limit);
      throw err;
    }
    const itemOf = (sha256: string, size: number): ContentItem => {
      const item: ContentItem = {
        contentKey,
        type: meta.type,
        contentType: meta.contentType,
        contentLength: size,
        sha256,
        lastModifiedMs: Date.now(),
        properties: {},
      };
      if (meta.owningAgentId !== undefined) item.owningAgentId = meta.owningAgentId;
      if (meta.owningInteractionPlanId !== undefined) item.owningInteractionPlanId = meta.owningInteractionPlanId;
      if (meta.fileName !== undefined) item.fileName = fileName?.text ?? meta.fileName;
      if (meta.version !== undefined) item.properties.version = meta.version;
      if (meta.durationMs !== undefined) item.properties.duration = meta.durationMs;
      const redacted = (redactor?.redacted ?? 0) + (fileName?.count ?? 0);
      if (redacted > 0) item.cardRedactions = redacted;
      if (upload.containsSensitiveData) item.containsSensitiveData = true;
      return item;
    };
    const refused = async (err: unknown) => {
      // Replacing held bytes is refused like deleting them, and the refusal is audited like theirs.
      if (isVaultError(err) && err.code === CODES.interactionHeld)
        await this.content.audit(tenantId, {
          atMs: Date.now(),
          actor: describePrincipal(principal),
          action: 'content.replace.refused',
          interactionId: String(err.extra.interactionId ?? idOrGuid),
          contentKey,
          detail: { holds: err.extra.holds },
        });
    };

    let item: ContentItem;
    let result: { replacedSha256?: string };
    if (read.inline) {
      item = itemOf(read.sha256, read.bytes.length);
      // Indexed in the same transaction as the item's row: its file name, and a transcript's segments.
      const transcript = isTranscriptItem(item) ? read.bytes : undefined;
      try {
        // The bytes commit with their row: no blob to publish, settle or release on failure.
        result = await this.content.put(visibility, idOrGuid, item, contentTexts(item, transcript), read.bytes);
      } catch (err) {
        await refused(err);
        throw err;
      }
    } else {
      // A large body for an interaction the caller cannot see is refused before it is written anywhere.
      if (!(await this.interactions.resolve(visibility, idOrGuid))) {
        read.body.destroy();
        throw errors.interactionNotFound(idOrGuid);
      }
      let staged: Awaited<ReturnType<BlobStore['stage']>>;
      try {
        staged = await this.blobs.stage(tenantId, read.body, { maxBytes });
      } catch (err) {
        if (err instanceof BlobTooLarge) throw errors.contentTooLarge(err.limit);
        throw err;
      }
      item = itemOf(staged.sha256, staged.size);
      const stored = item;
      result = await this.blobLock.run(`${tenantId}/${staged.sha256}`, async () => {
        let done: Awaited<ReturnType<ContentRepository['put']>>;
        try {
          await staged.publish();
          const texts = contentTexts(stored, await this.transcriptBytes(tenantId, stored));
          done = await this.content.put(visibility, idOrGuid, stored, texts);
        } catch (err) {
          await staged.discard();
          await this.releaseUnlocked(tenantId, staged.sha256);
          await refused(err);
          throw err;
        }
        // The row is committed and the bytes are at their address: the upload is stored. What settling has left
        // to do (the staged copy's removal) is the sweep's should the blob store fail now.
        await staged.settle().catch((err: Error) => {
          if (!isDependencyFailure(err)) throw err;
          process.emitWarning(`upload of ${tenantId}/${staged.sha256} stored, its staged copy left to the sweep: ${err.message}`);
        });
        return done;
      });
    }
    if (result.replacedSha256 && result.replacedSha256 !== item.sha256)
      await this.releaseAfterCommit(tenantId, result.replacedSha256);
    return item;
  }

  /**
   * Stored bytes (or an inclusive range of them), wherever they are kept: in
   * the database (small content, src/blobs/inline.ts) or in the blob store.
   * Every reader of content bytes comes here.
   */
  async openBytes(tenantId: string, sha256: string, range?: ByteRange, trx?: Transaction<Database>): Promise<Readable> {
    // Within a write transaction, through it (SQLite has one connection: another read would wait for it forever).
    const inline = await this.content.inlineBytes(tenantId, sha256, trx);
    return inline ? inlineStream(inline, range) : this.blobs.open(tenantId, sha256, range);
  }

  /**
   * Rebuilds the full-text index of a tenant's interactions in one store from
   * the records and their content, batch by batch (each batch one write
   * transaction, so the service stays online); `onBatch` hears each batch's count.
   */
  async reindex(tenantId: string, source: Source, batchSize: number, onBatch: (count: number) => void): Promise<number> {
    let after = '';
    let total = 0;
    for (;;) {
      const done = await this.interactions.texts.rebuild(tenantId, source, after, batchSize, (item, trx) =>
        this.transcriptBytes(tenantId, item, trx),
      );
      if (!done) return total;
      after = done.lastId;
      total += done.count;
      onBatch(done.count);
    }
  }

  /** How many interactions a tenant has in one store (the reindex's progress total). */
  async countInteractions(tenantId: string, source: Source): Promise<number> {
    const row = await this.store
      .in(source)
      .selectFrom('interactions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The bytes of a transcript that is read for the index; undefined for any other item. */
  async transcriptBytes(tenantId: string, item: ContentItem, trx?: Transaction<Database>): Promise<Buffer | undefined> {
    if (!isTranscriptItem(item) || item.contentLength > MAX_TRANSCRIPT_BYTES) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openBytes(tenantId, item.sha256, undefined, trx)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async openContent(principal: Principal, idOrGuid: string, contentKey: string, source: Source = 'main'): Promise<OpenedContent> {
    authorize(principal, 'content.read');
    const found = await this.content.get(visibilityOf(principal), idOrGuid, contentKey, source);
    if (!found) {
      if (!(await this.interactions.resolve(visibilityOf(principal), idOrGuid, source)))
        throw errors.interactionNotFound(idOrGuid);
      throw errors.contentNotFound(idOrGuid, contentKey);
    }
    // Every download path (native, Vonage, the console) opens content here.
    if (found.item.containsSensitiveData) authorize(principal, 'content.readSensitive');
    const tenantId = principal.tenant.id;
    // Audited before a byte leaves, or before the client is sent to fetch it;
    // one principal's Range reads of one item within a minute make one entry.
    const audit = async (range?: ByteRange) => {
      await this.audits.append(
        tenantId,
        {
          atMs: Date.now(),
          actor: describePrincipal(principal),
          action: 'content.read',
          interactionId: found.interactionId,
          contentKey: found.item.contentKey,
          detail: {
            sha256: found.item.sha256,
            ...(range ? { range: `${range.start}-${range.end}` } : {}),
            ...(source === 'archive' ? { source } : {}),
          },
        },
        undefined,
        { coalesceRead: range !== undefined },
      );
    };
    const read = async (range?: ByteRange) => {
      await audit(range);
      return this.openBytes(tenantId, found.item.sha256, range);
    };
    const locate = async (headers: DownloadHeaders, range?: ByteRange) => {
      // Bytes kept in the database are served by ixvault itself: there is no object to send the client to.
      if (!this.blobs.locate || (await this.content.inlineBytes(tenantId, found.item.sha256))) return undefined;
      const url = await this.blobs.locate(tenantId, found.item.sha256, headers);
      if (url !== undefined) await audit(range);
      return url;
    };
    return { ...found, read, locate };
  }

  /** Deletes one content item, unless a legal hold covers its interaction (409, the refusal audited). */
  async deleteContent(
    principal: Principal,
    idOrGuid: string,
    contentKey: string,
    { action = 'content.delete', source = 'main' }: { action?: string; source?: Source } = {},
  ): Promise<void> {
    authorize(principal, 'content.delete');
    const actor = describePrincipal(principal);
    const outcome = await this.content.delete(visibilityOf(principal), idOrGuid, contentKey, source, (trx, done) =>
      this.content.audit(
        principal.tenant.id,
        {
          atMs: Date.now(),
          actor,
          action: done.deleted ? action : `${action}.refused`,
          interactionId: done.interactionId,
          contentKey,
          detail: done.deleted ? { sha256: done.sha256 } : { sha256: done.sha256, holds: done.holds },
        },
        trx,
      ),
    );
    if (!outcome) {
      if (!(await this.interactions.resolve(visibilityOf(principal), idOrGuid, source)))
        throw errors.interactionNotFound(idOrGuid);
      throw errors.contentNotFound(idOrGuid, contentKey);
    }
    if (!outcome.deleted) throw errors.interactionHeld(outcome.interactionId, outcome.holds);
    await this.releaseAfterCommit(principal.tenant.id, outcome.sha256);
  }

  /** The active holds covering an interaction now (a dry run's question; deletions check in their own transaction). */
  holdsCovering(tenantId: string, interactionId: string, source: Source): Promise<string[]> {
    return this.store.write((root) => blockingHolds(this.store, root, tenantId, interactionId, source));
  }

  /** Places a legal hold (audited with it, in one transaction). */
  async createHold(principal: Principal, raw: unknown): Promise<LegalHold> {
    authorize(principal, 'hold.manage');
    const input = validateHold(raw);
    const actor = describePrincipal(principal);
    return this.holds.create(principal.tenant.id, input, actor, (trx, hold) =>
      this.content.audit(principal.tenant.id, holdAudit(actor, 'hold.create', hold), trx),
    );
  }

  /** A page of the tenant's holds, newest first. */
  async listHolds(
    principal: Principal,
    options: { includeReleased: boolean; limit: number; after?: PagePosition },
  ): Promise<{ holds: LegalHold[]; next?: PagePosition }> {
    authorize(principal, 'hold.manage');
    return this.holds.list(principal.tenant.id, { ...options, limit: pageSize(options.limit) });
  }

  /** One hold with the first page (MAX_PAGE_SIZE) of the interactions it lists. */
  async getHold(principal: Principal, id: string): Promise<HoldDetail> {
    authorize(principal, 'hold.manage');
    const hold = await this.holds.get(principal.tenant.id, id, MAX_PAGE_SIZE);
    if (!hold) throw errors.holdNotFound(id);
    return hold;
  }

  /** A page of the interactions a hold lists (named by it, or pinned to it by a change), by id. */
  async holdInteractions(
    principal: Principal,
    id: string,
    options: { limit: number; after?: string },
  ): Promise<{ ids: string[]; next?: string }> {
    authorize(principal, 'hold.manage');
    if (!(await this.holds.find(principal.tenant.id, id))) throw errors.holdNotFound(id);
    return this.holds.interactions(principal.tenant.id, id, { ...options, limit: pageSize(options.limit) });
  }

  /** Releases a hold (audited with it): what it covered may be deleted again. */
  async releaseHold(principal: Principal, id: string, reason: string): Promise<LegalHold> {
    authorize(principal, 'hold.manage');
    const actor = describePrincipal(principal);
    return this.holds.release(principal.tenant.id, id, actor, reason, (trx, hold) =>
      this.content.audit(
        principal.tenant.id,
        { ...holdAudit(actor, 'hold.release', hold), atMs: hold.releasedMs ?? Date.now() },
        trx,
      ),
    );
  }

  /** How many card numbers were masked in the tenant's records and content (main and archive). */
  async redactionReport(principal: Principal): Promise<RedactionReport> {
    authorize(principal, 'redaction.report');
    return redactionReport(this.store, principal.tenant.id);
  }

  /** The tenant's audit log, newest first, by principal, interaction, action and time. */
  async auditSearch(
    principal: Principal,
    filter: AuditFilter,
    page: { limit: number; beforeChainNo?: number },
  ): Promise<AuditPage> {
    authorize(principal, 'audit.read');
    return this.audits.search(principal.tenant.id, filter, page);
  }

  /** Every matching entry, oldest first, for an export; the export itself is audited first. */
  async auditExport(principal: Principal, filter: AuditFilter): Promise<AsyncGenerator<ChainedAuditEntry>> {
    authorize(principal, 'audit.read');
    await this.audits.append(principal.tenant.id, {
      atMs: Date.now(),
      actor: describePrincipal(principal),
      action: 'audit.export',
      interactionId: '',
      detail: { filter: { ...filter } },
    });
    return this.audits.scan(principal.tenant.id, filter);
  }

  async auditVerify(principal: Principal): Promise<VerifyReport> {
    authorize(principal, 'audit.read');
    return this.audits.verify(principal.tenant.id);
  }

  /**
   * The bytes a committed change (a deletion, a replaced upload) left unreferenced, released now if the stores
   * answer. The change is done and audited whatever happens here: a release that fails (the blob store or the
   * database down) puts the bytes back or leaves them where they were, for the sweep, which removes what no row
   * references; before, it answered the done change as failed (a 503), and the client retried it.
   */
  private async releaseAfterCommit(tenantId: string, sha256: string): Promise<void> {
    await this.releaseBlob(tenantId, sha256).catch((err: Error) =>
      process.emitWarning(`unreferenced content ${tenantId}/${sha256} not released now (the sweep will): ${err.message}`),
    );
  }

  private releaseBlob(tenantId: string, sha256: string): Promise<void> {
    return this.blobLock.run(`${tenantId}/${sha256}`, () => this.releaseUnlocked(tenantId, sha256));
  }

  private async releaseUnlocked(tenantId: string, sha256: string): Promise<void> {
    const referenced = async () => (await this.content.references(tenantId, sha256)) > 0;
    if (await referenced()) return;
    // Wherever they are kept (the same bytes may be in both after the inline threshold changed).
    await this.content.dropUnreferenced(tenantId, [sha256]);
    await this.blobs.release(tenantId, sha256, referenced);
  }

  /**
   * Crash hygiene: removes temporary files a crashed upload left and blobs
   * that no content row (main or archive) references. Safe while other
   * processes use the same store (see src/blobs/blob-store.ts). Bounded: the
   * folders changed since the last sweep, then a slice of a rolling walk over
   * the rest within `budgetMs` (SWEEP_BUDGET_MS unless given).
   */
  async sweep(options: Omit<SweepOptions, 'referenced'>): Promise<SweepReport> {
    const startedMs = Date.now();
    const budgetMs = options.budgetMs ?? SWEEP_BUDGET_MS;
    const report = await this.blobs.sweep({
      ...options,
      budgetMs,
      referenced: (tenantId, shas) => this.content.referencedAmong(tenantId, shas),
    });
    // The bytes kept in the database: a rolling walk too, within what is left of the budget (one slice at least).
    const deadline = startedMs + budgetMs;
    let passComplete = false;
    do {
      const slice = await this.content.sweepSlice(this.inlineSweepCursor, INLINE_SWEEP_SLICE);
      for (const d of slice.dropped) {
        report.blobs.push(`${d.tenantId}/${d.sha256}`);
        report.blobBytes += d.size;
      }
      this.inlineSweepCursor = slice.next;
      passComplete = slice.next === undefined;
    } while (!passComplete && Date.now() < deadline);
    report.passComplete &&= passComplete;
    return report;
  }
}

/** The audit entry of a hold's creation or release (no interaction of its own: the hold is in the detail). */
function holdAudit(actor: string, action: string, hold: LegalHold): AuditEntry {
  return {
    atMs: hold.createdMs,
    actor,
    action,
    interactionId: '',
    detail: {
      holdId: hold.id,
      name: hold.name,
      kind: hold.kind,
      ...(action === 'hold.release' ? { reason: hold.releaseReason } : { reason: hold.reason }),
      ...(hold.interactionIds ? { interactions: hold.interactionIds.length } : {}),
      ...(hold.contactId !== undefined ? { contactId: hold.contactId } : {}),
    },
  };
}

/** Card numbers masked in a record's texts before it goes anywhere (the tenant's setting, on by default). */
function redactInput(principal: Principal, input: InteractionInput): InteractionInput {
  if (!redactsCardNumbers(principal.tenant)) return input;
  const { record, count } = redactRecordTexts(input);
  return count > 0 ? { ...record, cardRedactions: count } : record;
}

function redactMessages(principal: Principal, messages: MessageInput[]): { record: { messages: MessageInput[] }; count: number } {
  if (!redactsCardNumbers(principal.tenant)) return { record: { messages }, count: 0 };
  return redactRecordTexts({ messages });
}

/** The body with card numbers masked as it streams (same length; held back only within a candidate run). */
function redacting(body: Readable, redactor: CardRedactingBytes): Readable {
  const transform = new Transform({
    // A text the scan cannot mask fails the upload (CardRedactingBytes): nothing is stored.
    transform(chunk: Buffer, _encoding, done) {
      try {
        for (const piece of redactor.push(chunk)) this.push(piece);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        done(null, redactor.end());
      } catch (err) {
        done(err as Error);
      }
    },
  });
  // An error of the body (aborted, too slow) destroys the transform with it, so the blob store sees it.
  return pipeline(body, transform, () => {});
}

export function validateBatch(raws: unknown[]): InteractionInput[] {
  if (raws.length > MAX_BATCH) throw errors.invalidField('records', `must hold at most ${MAX_BATCH} records`);
  const invalid: { index: number; problems: FieldProblem[] }[] = [];
  const valid: InteractionInput[] = [];
  const seenIds = new Map<string, number>();
  const seenGuids = new Map<string, number>();
  raws.forEach((raw, index) => {
    const { value, problems } = checkInteraction(raw);
    if (value?.id !== undefined) {
      const first = seenIds.get(value.id);
      if (first !== undefined) problems.push({ field: 'id', message: `same id as record ${first}` });
      else seenIds.set(value.id, index);
    }
    if (value?.guid !== undefined) {
      const first = seenGuids.get(value.guid);
      if (first !== undefined) problems.push({ field: 'guid', message: `same guid as record ${first}` });
      else seenGuids.set(value.guid, index);
    }
    if (problems.length > 0 || !value) invalid.push({ index, problems });
    else valid.push(value);
  });
  if (invalid.length > 0) throw errors.invalidBatch(invalid);
  return valid;
}

/** A page size the store is asked for: 1 to MAX_PAGE_SIZE, whatever a caller passed. */
function pageSize(limit: number): number {
  return Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_PAGE_SIZE);
}
