import { describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/auth/generated-secret.js';

describe('generated passwords and client secrets', () => {
  it('never start with - or _ (a leading - reads as an option on a command line)', () => {
    // 0xf8 encodes to '-' as the first base64url character, 0xfc to '_'; 0x00 to 'A'.
    const draws = [Buffer.from([0xf8, 1, 2]), Buffer.from([0xfc, 1, 2]), Buffer.from([0x00, 1, 2])];
    const drawn: number[] = [];
    const secret = generateSecret(3, (n) => {
      drawn.push(n);
      return draws.shift() as Buffer;
    });
    expect(Buffer.from([0xf8, 1, 2]).toString('base64url')[0]).toBe('-');
    expect(Buffer.from([0xfc, 1, 2]).toString('base64url')[0]).toBe('_');
    expect(secret).toBe(Buffer.from([0x00, 1, 2]).toString('base64url'));
    expect(drawn).toEqual([3, 3, 3]);
  });

  it('keeps the length and alphabet of base64url', () => {
    for (let i = 0; i < 200; i++) expect(generateSecret(18)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{23}$/);
  });
});
