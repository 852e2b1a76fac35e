import { Test } from '@nestjs/testing';
import { InngestModule } from '@sagaline/nestjs-inngest';
import { describe, expect, it } from 'vitest';
import { Compensate, Saga, SagaDefinitionError, SagaModule, SagaStep } from '../src';

async function compile(...providers: Array<new (...args: never[]) => unknown>) {
  const moduleRef = await Test.createTestingModule({
    imports: [InngestModule.forRoot({ appId: 'defs', mode: 'dev', isGlobal: true }), SagaModule.forRoot({})],
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('saga definitions are checked at start-up', () => {
  it('refuses a compensation for an unknown step, naming the class and method', async () => {
    @Saga({ id: 'a', trigger: 'x/a' })
    class UnknownStep {
      @SagaStep('reserve')
      reserve() {}
      @Compensate('charge')
      refund() {}
    }
    const attempt = compile(UnknownStep);
    await expect(attempt).rejects.toThrow(SagaDefinitionError);
    await expect(attempt).rejects.toThrow(
      'UnknownStep.refund compensates step "charge", which is not a @SagaStep of this saga.',
    );
  });

  it('refuses duplicate step ids', async () => {
    @Saga({ id: 'b', trigger: 'x/b' })
    class Duplicate {
      @SagaStep('reserve')
      one() {}
      @SagaStep('reserve')
      two() {}
    }
    await expect(compile(Duplicate)).rejects.toThrow(
      'step id "reserve" is declared twice (Duplicate.one and Duplicate.two).',
    );
  });

  it('refuses a step id the runner would derive from another step', async () => {
    @Saga({ id: 'e', trigger: 'x/e' })
    class Clash {
      @SagaStep('reserve')
      reserve() {}
      @SagaStep('compensate:reserve')
      undo() {}
    }
    await expect(compile(Clash)).rejects.toThrow(
      'Clash.undo has the step id "compensate:reserve", which looks like an id the saga gives its own steps',
    );
  });

  it('refuses a lifecycleEvents value that is not one of its two, such as the old boolean', async () => {
    @Saga({ id: 'f', trigger: 'x/f', lifecycleEvents: true as never })
    class OldBoolean {
      @SagaStep('reserve')
      reserve() {}
    }
    await expect(compile(OldBoolean)).rejects.toThrow(
      `Saga OldBoolean ("f"): lifecycleEvents is true; use 'failures' (the default`,
    );
  });

  it('refuses a saga without steps', async () => {
    @Saga({ id: 'c', trigger: 'x/c' })
    class Empty {}
    await expect(compile(Empty)).rejects.toThrow('Saga Empty ("c"): it has no @SagaStep methods');
  });

  it('refuses a compensation after a pivot', async () => {
    @Saga({ id: 'd', trigger: 'x/d' })
    class LatePivot {
      @SagaStep('capture', { pivot: true })
      capture() {}
      @SagaStep('ship')
      ship() {}
      @Compensate('ship')
      unship() {}
    }
    await expect(compile(LatePivot)).rejects.toThrow(
      'step "ship" comes after the pivot "capture" and has a compensation (LatePivot.unship)',
    );
  });

  it('orders steps by `order`, then by declaration', async () => {
    @Saga({ id: 'e', trigger: 'x/e' })
    class Ordered {
      @SagaStep('second', { order: 2 })
      second() {}
      @SagaStep('first', { order: 1 })
      first() {}
    }
    const moduleRef = await compile(Ordered);
    const { SagaRegistry } = await import('../src');
    expect(
      moduleRef
        .get(SagaRegistry)
        .get('e')!
        .definition.steps.map((s) => s.id),
    ).toEqual(['first', 'second']);
    await moduleRef.close();
  });
});
