/**
 * What the server's log keeps of a request URL (src/domain/logged-url.ts):
 * the path, every parameter's name, and the values of the parameters that
 * never carry personal data; any other value is withheld, card numbers are
 * masked wherever they are left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loggedUrl } from '../../src/domain/logged-url.js';

describe('loggedUrl (what the server log keeps of a request URL)', () => {
  it('keeps a path without a query, and the values of counts, times, pages, kinds and record identifiers', () => {
    expect(loggedUrl('/health')).toBe('/health');
    const page =
      '/interaction-content/interactions?from=2024-06-01T00%3A00%3A00Z&to=2024-06-08T00%3A00%3A00Z&limit=100&mediaType=voice&cursor=abc&handlingAgentId=agent-7';
    expect(loggedUrl(page)).toBe(page);
    expect(loggedUrl('/api/v1/interactions?contactId=c-1&hasContent=true&sort=desc')).toBe(
      '/api/v1/interactions?contactId=c-1&hasContent=true&sort=desc',
    );
  });

  it("withholds a search's numbers, words, addresses and custom attributes, and any parameter it does not know", () => {
    expect(loggedUrl('/interaction-content/interactions?connectFrom=%2B14155550123&limit=5')).toBe(
      '/interaction-content/interactions?connectFrom=*&limit=5',
    );
    expect(loggedUrl('/api/v1/interactions?q=John+Smith+overdue&connectTo=02079460000')).toBe(
      '/api/v1/interactions?q=*&connectTo=*',
    );
    expect(loggedUrl('/api/v1/contacts?email=ann%40example.com&phone=07700900123')).toBe('/api/v1/contacts?email=*&phone=*');
    expect(loggedUrl('/api/v1/interactions?customAttributes%5BAccount%5D=99-1234&fileName=ann.wav')).toBe(
      '/api/v1/interactions?customAttributes%5BAccount%5D=*&fileName=*',
    );
    expect(loggedUrl('/x?somethingNew=secret&%E0%A4%A=1&flag')).toBe('/x?somethingNew=*&%E0%A4%A=*&flag');
  });

  it('masks a card number in the path and in a parameter name, and never logs a withheld value', () => {
    expect(loggedUrl('/api/v1/interactions/4111111111111111?limit=1')).toBe('/api/v1/interactions/************1111?limit=1');
    expect(loggedUrl('/x?4111111111111111=1')).not.toContain('4111111111111111');
    const name = fc.constantFrom('q', 'connectFrom', 'connectTo', 'email', 'phone', 'customAttribute', 'anything');
    const value = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'abcXYZ0123456789+%@.- '.split('')) });
    fc.assert(
      fc.property(name, value, (n, v) => {
        const logged = loggedUrl(`/api/v1/interactions?${n}=${v}&limit=7`);
        expect(logged).toBe(`/api/v1/interactions?${n}=*&limit=7`);
      }),
    );
  });
});
