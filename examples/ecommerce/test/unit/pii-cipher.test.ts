import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadShopConfig, ShopConfigError } from '../../src/config/shop-config';
import { PiiCipher, PiiKeyError, PiiSealBrokenError } from '../../src/privacy/pii-cipher';

const key = () => randomBytes(32).toString('base64');

describe('PiiCipher', () => {
  const cipher = PiiCipher.fromKey(key());
  const contact = { email: 'ada@example.com', shippingAddress: { line1: '1 Main St' } };

  it('opens what it sealed, and never seals a value the same way twice', () => {
    const first = cipher.seal(contact);
    const second = cipher.seal(contact);
    expect(first).not.toBe(second);
    expect(first).not.toContain('ada@example.com');
    expect(cipher.open(first)).toEqual(contact);
    expect(cipher.open(second)).toEqual(contact);
  });

  it('refuses a value sealed with another key, or altered', () => {
    const sealed = cipher.seal(contact);
    expect(() => PiiCipher.fromKey(key()).open(sealed)).toThrow(PiiSealBrokenError);
    const prefix = 'pii:v1:';
    const bytes = Buffer.from(sealed.slice(prefix.length), 'base64url');
    bytes[bytes.length - 1] ^= 0x01; // one bit of the ciphertext, so the value surely differs
    const altered = `${prefix}${bytes.toString('base64url')}`;
    expect(altered).not.toBe(sealed);
    expect(() => cipher.open(altered as typeof sealed)).toThrow(PiiSealBrokenError);
    expect(() => cipher.open('ada@example.com' as typeof sealed)).toThrow(PiiSealBrokenError);
  });

  it('opens every sealed value inside a structure, leaving the rest as it is', () => {
    const data = {
      orderId: 'o-1',
      contact: cipher.seal(contact),
      sent: [{ recipient: cipher.seal('+14155550100') }],
    };
    expect(cipher.revealAll(data)).toEqual({
      orderId: 'o-1',
      contact,
      sent: [{ recipient: '+14155550100' }],
    });
  });

  it('refuses a key that is not 32 bytes, naming the variable and the fix', () => {
    expect(() => PiiCipher.fromKey(Buffer.alloc(16).toString('base64'))).toThrow(PiiKeyError);
    expect(() => PiiCipher.fromKey(Buffer.alloc(16).toString('base64'))).toThrow(
      /PII_ENCRYPTION_KEY.*openssl rand -base64 32/,
    );
    expect(() => loadShopConfig({ PII_ENCRYPTION_KEY: 'short' })).toThrow(ShopConfigError);
    expect(PiiCipher.fromKey(undefined).isDevelopmentKey).toBe(true);
    expect(PiiCipher.fromKey(key()).isDevelopmentKey).toBe(false);
  });
});
