/**
 * What every facade calls for contacts: rights first, then validation, then
 * the store. Contacts are a tenant's: any user of the tenant may look one up
 * (an agent identifies the customer on the line), and nobody outside it can
 * name one. Which interactions of a contact someone sees is still the
 * interaction search's business (Vault.search applies their visibility).
 */
import { type Contact, type ContactCriteria, checkCriteria, validateContact } from '../domain/contact.js';
import { errors } from '../domain/errors.js';
import { mergePatch } from '../domain/merge-patch.js';
import type { Principal } from '../domain/principal.js';
import { authorize } from '../domain/scopes.js';
import { ContactRepository, type Identified } from '../store/contact-repository.js';
import type { StoreConnection } from '../store/database.js';

/** How many contacts one lookup returns at most. */
export const MAX_CONTACT_MATCHES = 100;

export interface Identification extends ContactCriteria {
  firstName?: string;
  lastName?: string;
  /** Create a contact of these details when none matches. */
  create: boolean;
}

export class ContactService {
  readonly repository: ContactRepository;

  constructor(store: StoreConnection) {
    this.repository = new ContactRepository(store);
  }

  async create(principal: Principal, raw: unknown): Promise<Contact> {
    authorize(principal, 'contact.write');
    return this.repository.create(principal.tenant.id, validateContact(raw));
  }

  async get(principal: Principal, id: string): Promise<Contact> {
    authorize(principal, 'contact.read');
    const found = await this.repository.get(principal.tenant.id, id);
    if (!found) throw errors.contactNotFound(id);
    return found;
  }

  /** A JSON merge patch (RFC 7396) on the contact, validated whole, applied with the row locked. */
  async patch(principal: Principal, id: string, patch: unknown): Promise<Contact> {
    authorize(principal, 'contact.write');
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw errors.invalidField('(body)', 'must be a JSON object');
    const requested = (patch as Record<string, unknown>).id;
    if (requested !== undefined && requested !== id) throw errors.invalidField('id', 'cannot be changed');
    return this.repository.modify(principal.tenant.id, id, (current) => {
      const { createdMs: _c, updatedMs: _u, ...fields } = current;
      return validateContact(mergePatch(fields, patch));
    });
  }

  async find(principal: Principal, criteria: ContactCriteria, names?: { email: string; phone: string }): Promise<Contact[]> {
    authorize(principal, 'contact.read');
    return this.repository.find(principal.tenant.id, checkCriteria(criteria, names), MAX_CONTACT_MATCHES);
  }

  /** Looks a contact up by email address or phone number; with `create`, makes one when none matches. */
  async identify(principal: Principal, request: Identification): Promise<Identified> {
    authorize(principal, request.create ? 'contact.write' : 'contact.read');
    const criteria = checkCriteria(request);
    const details = request.create
      ? validateContact({
          firstName: request.firstName,
          lastName: request.lastName,
          emailAddresses: criteria.emailAddress !== undefined ? [criteria.emailAddress] : [],
          phoneNumbers: criteria.phoneNumber !== undefined ? [criteria.phoneNumber] : [],
        })
      : undefined;
    return this.repository.identify(principal.tenant.id, criteria, details, MAX_CONTACT_MATCHES);
  }

  /** Throws the 404 unless the tenant has this contact (linking an interaction to it). */
  async assertExists(principal: Principal, id: string, field: string): Promise<void> {
    if (!(await this.repository.exists(principal.tenant.id, id))) throw errors.contactNotFound(id, field);
  }
}
