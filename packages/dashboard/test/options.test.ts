import { describe, expect, it } from 'vitest';
import { basicAuthGuard, DashboardConfigError, REDACTED } from '../src';
import { resolveDashboardOptions } from '../src/dashboard.options';
import { createRedactor } from '../src/redaction';

const guard = basicAuthGuard({ username: 'ops', password: 'a long enough secret' });

const configError = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DashboardConfigError);
    return error as DashboardConfigError;
  }
  throw new Error('expected a DashboardConfigError');
};

describe('dashboard options', () => {
  it('refuses to start without a guard outside development, naming the option and the fix', () => {
    const error = configError(() => resolveDashboardOptions({}, 'production'));
    expect(error.option).toBe('guard');
    expect(error.code).toBe('DASHBOARD_CONFIG');
    expect(error.message).toContain("NODE_ENV is 'production'");
    expect(error.message).toContain('basicAuthGuard');
    expect(configError(() => resolveDashboardOptions({}, '')).message).toContain('NODE_ENV is unset');
  });

  it('opens without a guard in development, or anywhere with guard: none', () => {
    expect(resolveDashboardOptions({}, 'development').guard).toBeNull();
    expect(resolveDashboardOptions({ guard: 'none' }, 'production').guard).toBeNull();
  });

  it('is read-only and mounted at /dashboard by default', () => {
    const options = resolveDashboardOptions({ guard }, 'production');
    expect(options.path).toBe('/dashboard');
    expect(options.actions).toEqual({ cancelSaga: false, controlBreakers: false });
    expect(resolveDashboardOptions({ guard, actions: true }, 'production').actions).toEqual({
      cancelSaga: true,
      controlBreakers: true,
    });
  });

  it('names each bad option', () => {
    expect(configError(() => resolveDashboardOptions({ guard, path: 'dashboard' })).option).toBe('path');
    expect(configError(() => resolveDashboardOptions({ guard, path: '/a/../b' })).option).toBe('path');
    expect(configError(() => resolveDashboardOptions({ guard: 'open' as never })).option).toBe('guard');
    expect(
      configError(() => resolveDashboardOptions({ guard, actions: { kill: true } as never })).option,
    ).toBe('actions.kill');
    expect(configError(() => resolveDashboardOptions({ guard, maxSagas: 0 })).option).toBe('maxSagas');
    expect(configError(() => resolveDashboardOptions({ guard, redact: 'email' as never })).option).toBe(
      'redact',
    );
    expect(configError(() => resolveDashboardOptions({ guard, colour: 'red' } as never)).option).toBe(
      'colour',
    );
    expect(configError(() => basicAuthGuard({ username: 'ops', password: 'short' })).option).toBe(
      'guard.password',
    );
  });

  it('checks Basic credentials', () => {
    const header = (user: string, password: string) => ({
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    });
    expect(guard(header('ops', 'a long enough secret') as never)).toBe(true);
    expect(guard(header('ops', 'a long enough secreT') as never)).toBe(false);
    expect(guard({ headers: {} } as never)).toBe(false);
    expect(guard.challenge).toContain('Basic realm=');
  });
});

describe('redaction', () => {
  const redact = createRedactor(resolveDashboardOptions({ guard: 'none' }).redact);

  it('hides card tokens and emails by default, by field name and inside any text', () => {
    expect(
      redact({
        paymentToken: 'tok_visa',
        customer: { Email: 'ada@example.com', name: 'Ada' },
        note: 'charged tok_mastercard for ada@example.com, card 4242 4242 4242 4242',
        items: [{ sku: 'widget', quantity: 2 }],
      }),
    ).toEqual({
      paymentToken: REDACTED,
      customer: { Email: REDACTED, name: 'Ada' },
      note: `charged ${REDACTED} for ${REDACTED}, card ${REDACTED}`,
      items: [{ sku: 'widget', quantity: 2 }],
    });
  });

  it('hides every field whose name contains a sensitive word, however it is spelled', () => {
    const secrets = {
      accessToken: 'a',
      refresh_token: 'b',
      clientSecret: 'c',
      api_key: 'd',
      'x-api-key': 'e',
      passwordHash: 'f',
      card_number: 'g',
      Cookie: 'h',
      customerEmail: 'i',
    };
    const hidden = Object.fromEntries(Object.keys(secrets).map((key) => [key, REDACTED]));
    expect(redact({ ...secrets, orderId: 'o-1', quantity: 2 })).toEqual({
      ...hidden,
      orderId: 'o-1',
      quantity: 2,
    });
  });

  it('hides a value nested deeper than 32 levels whole', () => {
    let deep: Record<string, unknown> = { email: 'ada@example.com' };
    for (let i = 0; i < 40; i++) deep = { inner: deep };
    let shown = redact(deep) as Record<string, unknown>;
    let depth = 0;
    while (typeof shown === 'object') {
      shown = shown.inner as Record<string, unknown>;
      depth++;
    }
    expect(shown).toBe(REDACTED);
    expect(depth).toBe(33);
  });

  it('masks only digit runs that are card numbers, so that numeric ids and their links stay whole', () => {
    const orderId = '1234567890123'; // 13 digits, not a card number (fails the Luhn check)
    expect(
      redact({
        runId: orderId,
        businessKey: orderId,
        streamId: `order-${orderId}`,
        link: `#/stream/default/order-${orderId}`,
        note: 'paid with 4111-1111-1111-1111 and 5555555555554444, token tok_amex',
      }),
    ).toEqual({
      runId: orderId,
      businessKey: orderId,
      streamId: `order-${orderId}`,
      link: `#/stream/default/order-${orderId}`,
      note: `paid with ${REDACTED} and ${REDACTED}, token ${REDACTED}`,
    });
  });

  it('adds the fields given to the defaults, and shows everything with redact: false', () => {
    const more = createRedactor(resolveDashboardOptions({ guard: 'none', redact: ['phone_number'] }).redact);
    expect(more({ phoneNumber: '+1', 'Phone-Number': '+1', phoneCountry: 'NZ', email: 'a@b.co' })).toEqual({
      phoneNumber: REDACTED,
      'Phone-Number': REDACTED,
      phoneCountry: 'NZ',
      email: REDACTED,
    });
    const none = createRedactor(resolveDashboardOptions({ guard: 'none', redact: false }).redact);
    expect(none({ email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
  });
});
