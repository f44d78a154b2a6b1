/** Erasure by data subject: who the subject is, and what the signed receipt says. */
import { errors } from './errors.js';
import type { Source } from './search.js';

export const MAX_SUBJECT_IDENTIFIERS = 100;

export interface ErasureSubject {
  contactId?: string;
  phoneNumbers: string[];
  emailAddresses: string[];
}

export interface FoundInteraction {
  id: string;
  source: Source;
  contentSha256s: string[];
}

export interface KeptInteraction extends FoundInteraction {
  /** Why it was not removed (the error code of the refusal, e.g. a legal hold). */
  reason: string;
}

/** The receipt's payload, signed as a JWS; it names interactions and hashes, never the subject's identifiers. */
export interface ErasureReceipt {
  id: string;
  tenant: string;
  requestedBy: string;
  requestedAt: string;
  completedAt: string;
  /** HMAC of the subject's identifiers under the deployment key: the same subject gives the same digest. */
  subjectDigest: string;
  /** How many identifiers of each kind were given. */
  identifiers: { contactId: number; phoneNumbers: number; emailAddresses: number };
  found: { count: number; interactions: FoundInteraction[] };
  removed: { count: number; interactions: FoundInteraction[]; contentSha256s: string[] };
  kept: { count: number; interactions: KeptInteraction[] };
  /**
   * The subject's contact records (the given contact id, and contacts holding one of the phone numbers
   * or email addresses): counts only, since a contact id is one of the subject's identifiers. A contact
   * a legal hold covers, or that a kept interaction still names, is kept; `keptReasons` counts why.
   */
  contacts: { found: number; removed: number; kept: number; keptReasons: Record<string, number> };
  /**
   * Copies of the removed interactions' content that export jobs wrote before (files in export runs:
   * outside the store, so not removed here): how many, and in which job runs (`location`: the run's
   * folder under the export directory or bucket prefix). Removing them is the operator's decision.
   */
  exportedCopies: { files: number; runs: { job: string; run: number; location: string; files: number }[] };
}

/** Why a contact record was kept: a legal hold on the contact, or interactions of it that were kept. */
export const CONTACT_KEPT_BY_INTERACTIONS = 'interactions kept';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The subject of a request body; every problem names its field. */
export function checkSubject(body: { contactId?: string; phoneNumbers?: string[]; emailAddresses?: string[] }): ErasureSubject {
  const phoneNumbers = [...new Set((body.phoneNumbers ?? []).map((p) => p.trim()))];
  const emailAddresses = [...new Set((body.emailAddresses ?? []).map((e) => e.trim()))];
  const contactId = body.contactId?.trim();
  phoneNumbers.forEach((p, i) => {
    if (!/^\+?[0-9][0-9 ()./-]*$/.test(p)) throw errors.invalidField(`phoneNumbers.${i}`, 'is not a phone number');
  });
  emailAddresses.forEach((e, i) => {
    if (!EMAIL.test(e)) throw errors.invalidField(`emailAddresses.${i}`, 'is not an email address');
  });
  if (contactId === '') throw errors.invalidField('contactId', 'must not be empty');
  if (!contactId && phoneNumbers.length === 0 && emailAddresses.length === 0)
    throw errors.missingField('contactId, phoneNumbers or emailAddresses');
  const subject: ErasureSubject = { phoneNumbers, emailAddresses };
  if (contactId) subject.contactId = contactId;
  return subject;
}

/** A canonical text of the subject (sorted identifiers) for its digest. */
export function canonicalSubject(subject: ErasureSubject): string {
  return JSON.stringify([
    subject.contactId ?? null,
    [...subject.phoneNumbers].sort(),
    [...subject.emailAddresses].map((e) => e.toLowerCase()).sort(),
  ]);
}
