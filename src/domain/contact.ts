/**
 * Contacts: the customers interactions are about (UCS's contact records). A
 * contact belongs to one tenant; it is found by any of its email addresses or
 * phone numbers, compared in their normal form (`normalizeEmail`,
 * `normalizePhone`), while the record keeps them as they were given.
 */
import { errors, type FieldProblem } from './errors.js';
import { isInteractionId } from './ids.js';

export interface Contact {
  id: string;
  firstName?: string;
  lastName?: string;
  emailAddresses: string[];
  phoneNumbers: string[];
  attributes: Record<string, string>;
  createdMs: number;
  updatedMs: number;
}

/** A contact as accepted on input, before its id is assigned. */
export interface ContactInput {
  id?: string;
  firstName?: string;
  lastName?: string;
  emailAddresses: string[];
  phoneNumbers: string[];
  attributes: Record<string, string>;
}

/** What a contact is looked up or identified by; at least one of them. */
export interface ContactCriteria {
  emailAddress?: string;
  phoneNumber?: string;
}

export const CONTACT_LIMITS = {
  name: 256,
  addresses: 20,
  address: 320,
  attributes: 100,
  attributeName: 128,
  attributeValue: 1024,
} as const;

/** Email addresses compare without surrounding space and case (the local part too: every mail system we meet folds it). */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/**
 * Phone numbers compare by their digits: `+1 (323) 234-2342`, `1-323-234-2342`
 * and `13232342342` are one number; the international prefix `00` counts as
 * the `+` it stands for. Numbers with and without a country code stay
 * different numbers (no guess about a home country is made).
 */
export function normalizePhone(raw: string): string {
  const digits = raw.replace(/\D/g, '');
  return digits.startsWith('00') ? digits.slice(2) : digits;
}

function normalForm(kind: 'email' | 'phone', value: string): string {
  return kind === 'email' ? normalizeEmail(value) : normalizePhone(value);
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one email address or phone number; returns its problem, if any. */
export function identifierProblem(kind: 'email' | 'phone', value: string): string | undefined {
  if (value.length > CONTACT_LIMITS.address) return `must be at most ${CONTACT_LIMITS.address} characters`;
  if (value.includes('\u0000')) return 'must not contain the NUL character';
  if (kind === 'email' && !EMAIL.test(value.trim())) return `'${value}' is not an email address`;
  if (kind === 'phone' && normalizePhone(value).length === 0) return `'${value}' has no digits`;
  return undefined;
}

/** Validates a whole contact (create, or the result of a merge patch); throws every problem at once. */
export function validateContact(raw: unknown): ContactInput {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!isObject(raw)) throw errors.invalidRecord([{ field: '(body)', message: 'must be a JSON object' }]);
  const contact: ContactInput = { emailAddresses: [], phoneNumbers: [], attributes: {} };
  if (raw.id !== undefined && raw.id !== null) {
    if (typeof raw.id !== 'string' || !isInteractionId(raw.id))
      add('id', 'must be 1 to 64 characters of [0-9A-Za-z_.-], starting with a letter or digit, and not a UUID');
    else contact.id = raw.id;
  }
  for (const key of ['firstName', 'lastName'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') add(key, 'must be a string');
    else if (value.length > CONTACT_LIMITS.name) add(key, `must be at most ${CONTACT_LIMITS.name} characters`);
    else if (value.includes('\u0000')) add(key, 'must not contain the NUL character');
    else contact[key] = value;
  }
  const lists = [
    ['emailAddresses', 'email'],
    ['phoneNumbers', 'phone'],
  ] as const;
  for (const [key, kind] of lists) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      add(key, 'must be an array of strings');
      continue;
    }
    if (value.length > CONTACT_LIMITS.addresses) add(key, `must hold at most ${CONTACT_LIMITS.addresses} entries`);
    const seen = new Set<string>();
    value.forEach((entry, i) => {
      const problem =
        typeof entry !== 'string'
          ? 'must be a string'
          : (identifierProblem(kind, entry) ??
            (seen.has(normalForm(kind, entry)) ? `'${entry}' is already in the list` : undefined));
      if (problem !== undefined) add(`${key}.${i}`, problem);
      else {
        seen.add(normalForm(kind, entry));
        contact[key].push(kind === 'email' ? entry.trim() : entry);
      }
    });
  }
  const attributes = raw.attributes;
  if (attributes !== undefined && attributes !== null) {
    if (!isObject(attributes)) add('attributes', 'must be an object of string values');
    else {
      const entries = Object.entries(attributes);
      if (entries.length > CONTACT_LIMITS.attributes)
        add('attributes', `must hold at most ${CONTACT_LIMITS.attributes} attributes`);
      for (const [name, value] of entries) {
        const at = `attributes.${name}`;
        if (name.length === 0 || name.length > CONTACT_LIMITS.attributeName)
          add(at, `name must be 1 to ${CONTACT_LIMITS.attributeName} characters`);
        else if (typeof value !== 'string') add(at, 'must be a string');
        else if (value.length > CONTACT_LIMITS.attributeValue)
          add(at, `must be at most ${CONTACT_LIMITS.attributeValue} characters`);
        else if (name.includes('\u0000') || value.includes('\u0000')) add(at, 'must not contain the NUL character');
        else contact.attributes[name] = value;
      }
    }
  }
  if (problems.length > 0) throw errors.invalidRecord(problems);
  return contact;
}

/** The criteria of a lookup, checked under the names the caller used for them. */
export function checkCriteria(
  criteria: ContactCriteria,
  names = { email: 'emailAddress', phone: 'phoneNumber' },
): ContactCriteria {
  const { emailAddress, phoneNumber } = criteria;
  if (emailAddress === undefined && phoneNumber === undefined) throw errors.missingField(`${names.email} or ${names.phone}`);
  if (emailAddress !== undefined) {
    const problem = identifierProblem('email', emailAddress);
    if (problem) throw errors.invalidField(names.email, problem);
  }
  if (phoneNumber !== undefined) {
    const problem = identifierProblem('phone', phoneNumber);
    if (problem) throw errors.invalidField(names.phone, problem);
  }
  return criteria;
}

/** The contact id a Genesys `contactPath` names: its last segment (`/path/{contactId}`, `/contacts/{id}`, or a bare id). */
export function contactIdOfPath(path: string): string | undefined {
  const last = path.split('/').filter(Boolean).pop();
  return last !== undefined && isInteractionId(last) ? last : undefined;
}
