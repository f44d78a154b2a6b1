/** The normal forms contacts are looked up by (src/domain/contact.ts), as properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateContacts, generateInteractions } from '../../src/demo/contact-center.js';
import { contactIdOfPath, normalizeEmail, normalizePhone, validateContact } from '../../src/domain/contact.js';

const digits = fc.stringMatching(/^[0-9]{1,15}$/);
/** The punctuation people write numbers with. */
const separator = fc.constantFrom('', ' ', '-', '.', '(', ')', '/');

describe('contact normal forms', () => {
  it('a phone number is its digits, whatever punctuation surrounds them', () => {
    fc.assert(
      fc.property(digits, fc.array(separator, { minLength: 16, maxLength: 16 }), (number, seps) => {
        const written = [...number].map((d, i) => `${seps[i]}${d}`).join('');
        expect(normalizePhone(written)).toBe(normalizePhone(number));
        expect(normalizePhone(`+${written}`)).toBe(normalizePhone(number));
      }),
    );
  });

  it("the international prefix 00 is the '+' it stands for; a country code is never guessed", () => {
    expect(normalizePhone('00 44 20 7946 0018')).toBe(normalizePhone('+44 20 7946 0018'));
    expect(normalizePhone('+1 (323) 234-2342')).toBe('13232342342');
    expect(normalizePhone('323-234-2342')).not.toBe(normalizePhone('+1 323 234 2342'));
  });

  it('an email address compares without case and surrounding space, and normalizing twice changes nothing', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        expect(normalizeEmail(` ${address.toUpperCase()} `)).toBe(normalizeEmail(address));
        expect(normalizeEmail(normalizeEmail(address))).toBe(normalizeEmail(address));
      }),
    );
  });

  it('validation keeps addresses as given and refuses a second spelling of the same one', () => {
    expect(validateContact({ emailAddresses: [' Ann@Example.org '], phoneNumbers: ['+1 555 0100'] })).toEqual({
      emailAddresses: ['Ann@Example.org'],
      phoneNumbers: ['+1 555 0100'],
      attributes: {},
    });
    expect(() => validateContact({ phoneNumbers: ['555-0100', '5550100'] })).toThrow(/phoneNumbers.1: '5550100' is already/);
  });

  it('a Genesys contactPath names the contact by its last segment', () => {
    expect(contactIdOfPath('/path/0000DaA3G4VF000Q')).toBe('0000DaA3G4VF000Q');
    expect(contactIdOfPath('/contacts/abc/')).toBe('abc');
    expect(contactIdOfPath('abc')).toBe('abc');
    expect(contactIdOfPath('/')).toBeUndefined();
    expect(contactIdOfPath('/path/has space')).toBeUndefined();
  });
});

describe('the demo contact center', () => {
  it("names only contacts it creates, and each interaction's address is its contact's", () => {
    const options = {
      seed: 7,
      agents: 5,
      contacts: 20,
      interactions: 300,
      fromMs: 0,
      toMs: 86_400_000,
      contentRatio: 0,
      messagesPerChat: 4,
    };
    const contacts = new Map([...generateContacts(options)].map((c) => [c.id, c]));
    expect(contacts.size).toBe(20);
    let emails = 0;
    for (const { record } of generateInteractions(options)) {
      const contact = contacts.get(record.contactId as string);
      expect(contact, String(record.contactId)).toBeDefined();
      if (record.mediaType === 'call') expect(contact?.phoneNumbers).toContain(record.phoneNumber);
      if (record.mediaType === 'email') {
        emails++;
        const email = record.email as { from: string; to: string[]; text: string; html: string };
        expect([email.from, ...email.to]).toContain(contact?.emailAddresses[0]);
        expect(email.html).toMatch(/^<p>/);
        expect(validateContact(contact)).toMatchObject(contact as object);
      }
    }
    expect(emails).toBeGreaterThan(0);
  });
});
