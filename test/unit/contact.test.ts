/** The normal forms contacts are looked up by (src/domain/contact.ts), as properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
