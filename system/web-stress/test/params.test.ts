import { describe, expect, it } from 'vitest';
import { CPU_TARGET, DURATION, KB, ParamError, RAMP, memoryBound, parseQuery } from '../src/params.ts';

const spec = { target: CPU_TARGET, duration: DURATION, ramp: RAMP };

function errorOf(query: Record<string, unknown>, s: Parameters<typeof parseQuery>[1] = spec): ParamError {
  try {
    parseQuery(query, s);
  } catch (error) {
    if (error instanceof ParamError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(query)}`);
}

describe('parseQuery', () => {
  it('parses numbers and fills defaults', () => {
    expect(parseQuery({ target: '80' }, spec)).toEqual({ target: 80, duration: 60, ramp: 0 });
    expect(parseQuery({ target: '12.5', duration: '1e1', ramp: ' 5 ' }, spec)).toEqual({ target: 12.5, duration: 10, ramp: 5 });
  });

  it.each([
    [{ target: 'abc' }, 'target'],
    [{ target: '' }, 'target'],
    [{ target: '0x10' }, 'target'],
    [{ target: 'Infinity' }, 'target'],
    [{ target: '101' }, 'target'],
    [{ target: '-1' }, 'target'],
    [{ target: '50', duration: '0' }, 'duration'],
    [{ target: '50', duration: '3601' }, 'duration'],
    [{ target: '50', ramp: '601' }, 'ramp'],
    [{ target: ['1', '2'] }, 'target'],
    [{}, 'target'],
    [{ target: '50', targt: '3' }, 'targt'],
  ])('%j → 400 naming %s', (query, parameter) => {
    expect(errorOf(query).parameter).toBe(parameter);
  });

  it('says what was given and what is allowed', () => {
    const error = errorOf({ target: '150' });
    expect(error.message).toBe('target: got "150", expected a number from 0 to 100 % of the CPU limit');
    expect(error.allowed).toEqual({ min: 0, max: 100, unit: '% of the CPU limit' });
    expect(errorOf({}).message).toContain('target: missing');
  });

  it('requires integers where it says so', () => {
    expect(errorOf({ kb: '1.5' }, { kb: KB }).message).toContain('expected an integer from 0 to 10240 KiB');
  });
});

describe('memoryBound', () => {
  it('stays below the limit by the headroom, and at most 4096 MB', () => {
    expect(memoryBound(512, 'container memory limit')).toMatchObject({ min: 1, max: 448 });
    expect(memoryBound(64_000, 'host memory').max).toBe(4096);
    expect(memoryBound(512, 'container memory limit').note).toContain('container memory limit 512 MB minus 64 MB headroom');
  });
});
