import type { ArgumentMetadata } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unstorableText } from '../../src/common/storable-text';
import { createValidationPipe, InvalidInputException } from '../../src/common/validation';

describe('unstorableText', () => {
  it('finds a NUL and a lone surrogate at any depth, naming the field', () => {
    expect(
      unstorableText({ customerId: 'a\u0000b', items: [{ productId: 'ok' }, { productId: 'x\ud800' }] }),
    ).toEqual([
      { field: 'customerId', message: expect.stringContaining('NUL character (\\u0000)') },
      { field: 'items.1.productId', message: expect.stringContaining('lone UTF-16 surrogate (\\ud800)') },
    ]);
  });

  it('accepts well-formed text, astral characters included', () => {
    expect(unstorableText({ name: 'Zoë 😀', tags: ['日本'], n: 1, none: null })).toEqual([]);
  });

  it('finds a lone low surrogate and a bad field name', () => {
    expect(unstorableText({ a: '\udc00', 'b\u0000': 1 })).toEqual([
      { field: 'a', message: expect.stringContaining('\\udc00') },
      { field: '"b\\u0000"', message: expect.stringContaining('the field name contains a NUL') },
    ]);
  });
});

describe('the validation pipe', () => {
  const pipe = createValidationPipe();
  const schema = z.strictObject({ name: z.string(), count: z.number() });
  const refusal = async (value: unknown, metadata: ArgumentMetadata) => {
    try {
      await pipe.transform(value, metadata);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputException);
      return (error as InvalidInputException).errors;
    }
    throw new Error('the value was accepted');
  };

  it('refuses unstorable text in a body together with the schema’s issues', async () => {
    expect(await refusal({ name: 'a\u0000', count: 'x' }, { type: 'body', schema })).toEqual([
      { field: 'name', message: expect.stringContaining('NUL') },
      { field: 'count', message: expect.any(String) },
    ]);
  });

  it('refuses unstorable text in a route parameter without a schema, naming the parameter', async () => {
    expect(await refusal('ord_\ud800', { type: 'param', data: 'id' })).toEqual([
      { field: 'id', message: expect.stringContaining('surrogate') },
    ]);
  });

  it('lets good input through, parsed by its schema', async () => {
    expect(await pipe.transform({ name: 'a', count: 1 }, { type: 'body', schema })).toEqual({
      name: 'a',
      count: 1,
    });
    expect(await pipe.transform('ord_1', { type: 'param', data: 'id' })).toBe('ord_1');
  });
});
