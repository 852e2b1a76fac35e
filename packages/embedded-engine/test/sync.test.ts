import { Injectable } from '@nestjs/common';
import { InngestFunction, InngestModule, InngestService } from '@sagaline/nestjs-inngest';
import { describe, expect, it } from 'vitest';
import { EmbeddedEngine, UnsupportedFeatureError, WaitForRunTimeoutError } from '../src';
import { retryAfterDelay, retryDelay } from '../src/backoff';
import { hashSigningKey } from '../src/security/keys';
import { parseDuration } from '../src/time';
import { startEmbeddedApp } from './support/embedded-app';

@Injectable()
class Plain {
  @InngestFunction({ id: 'plain', triggers: { event: 'a/b' } })
  async plain() {
    return 'ran';
  }
}

describe('sync', () => {
  it('refuses only a function whose config has a field the engine does not know; the rest of the app runs', async () => {
    const subject = await startEmbeddedApp('express', [Plain], {}, 'refused');
    try {
      const [plain] = subject.engine.registeredFunctions;
      // What a newer SDK could send: the function as registered, plus an option this engine lacks.
      const registration = {
        appName: 'refused',
        url: plain!.steps.step.runtime.url.split('?')[0],
        functions: [plain, { ...plain, id: 'refused-future', name: 'future', fastForward: { by: '1h' } }],
      };
      const response = await fetch(`${subject.engine.baseUrl}/fn/register`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${hashSigningKey(subject.engine.signingKey)}`,
        },
        body: JSON.stringify(registration),
      });
      expect(response.status).toBe(200);
      const [refusal] = subject.engine.refusedFunctions;
      expect(refusal).toBeInstanceOf(UnsupportedFeatureError);
      expect(refusal).toMatchObject({ functionId: 'refused-future', feature: 'fastForward' });
      expect(refusal!.message).toContain(
        'Function "refused-future" uses `fastForward`, which the embedded engine does not run, so it starts no runs here; the rest of the app runs.',
      );
      expect(subject.engine.registeredFunctions.map((fn) => fn.id)).toEqual(['refused-plain']);
      const { ids } = await subject.inngest.send({ name: 'a/b', data: {} });
      expect(await subject.engine.waitForRun({ eventId: ids[0] })).toMatchObject({ output: 'ran' });
      expect(await subject.engine.listRuns({ eventId: ids[0] })).toHaveLength(1);
    } finally {
      await subject.close();
    }
  });

  it('stores the registration the SDK posts, with triggers and retries', async () => {
    @Injectable()
    class Registered {
      @InngestFunction({
        id: 'reg',
        triggers: [{ event: 'x/y', if: 'event.data.n > 1' }, { cron: '0 0 * * *' }],
        retries: 7,
      })
      async handle() {}
    }
    const subject = await startEmbeddedApp('fastify', [Registered], {}, 'reg-app');
    try {
      const [fn] = subject.engine.registeredFunctions;
      expect(fn).toMatchObject({
        id: 'reg-app-reg',
        triggers: [{ event: 'x/y', expression: 'event.data.n > 1' }, { cron: '0 0 * * *' }],
        steps: { step: { retries: { attempts: 7 } } },
      });
    } finally {
      await subject.close();
    }
  });

  it('starts by default when the binding runs in embedded mode with no options', async () => {
    const { Test } = await import('@nestjs/testing');
    const moduleRef = await Test.createTestingModule({
      imports: [InngestModule.forRoot({ appId: 'default' })],
    }).compile();
    try {
      expect(moduleRef.get(InngestService).mode).toBe('embedded');
      expect(moduleRef.get(InngestService).client.apiBaseUrl ?? '').toContain('127.0.0.1');
    } finally {
      await moduleRef.close();
    }
  });
});

describe('inspection', () => {
  it('waitForRun rejects with a typed error naming the filter', async () => {
    const engine = await EmbeddedEngine.start();
    try {
      await expect(engine.waitForRun({ functionId: 'nothing' }, 50)).rejects.toThrow(WaitForRunTimeoutError);
      await expect(engine.waitForRun({ functionId: 'nothing' }, 50)).rejects.toThrow(
        'No run matched {"functionId":"nothing"}',
      );
    } finally {
      await engine.close();
    }
  });
});

describe('time and retries', () => {
  it('parses Inngest time strings, compound ones included', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('follows Inngest’s backoff table with up to 30 s of jitter, scaled', () => {
    expect(retryDelay(0, 1, () => 0)).toBe(15_000);
    expect(retryDelay(2, 1, () => 1)).toBe(90_000);
    expect(retryDelay(50, 1, () => 0)).toBe(7_200_000);
    expect(retryDelay(0, 0.001, () => 0)).toBe(15);
  });

  it('reads retry-after as seconds or a date, clamped to [1 s, 24 h]', () => {
    expect(retryAfterDelay('30', 0)).toBe(30_000);
    expect(retryAfterDelay('0', 0)).toBe(1_000);
    expect(retryAfterDelay(new Date(10_000).toUTCString(), 0)).toBe(10_000);
    expect(retryAfterDelay('999999', 0)).toBe(86_400_000);
  });
});
