import { describe, expect, it } from 'vitest';
import { nulPath, withoutNul } from '../src/storable.ts';

describe('NUL in JSON values (Postgres cannot store U+0000)', () => {
  it('says where the first one is, in strings and keys, and nothing for a backslash followed by u0000', () => {
    expect(nulPath({ order: { lines: [{ sku: 'ok' }, { sku: 'a\0b' }] } })).toBe('$.order.lines[1].sku');
    expect(nulPath({ 'two words': ['\0'] })).toBe('$["two words"][0]');
    expect(nulPath({ ['k\0']: 1 })).toBe('$["k\\u0000"]');
    expect(nulPath('plain\0')).toBe('$');
    expect(nulPath({ text: 'a literal \\u0000 is fine' })).toBeUndefined();
    expect(nulPath({ n: 1, list: [true, null] })).toBeUndefined();
  });

  it('replaces every one in a diagnostic value, leaving the rest as it was', () => {
    expect(withoutNul({ message: 'a\0b', lines: ['\0', 2], ['k\0']: null })).toEqual({ message: 'a\uFFFDb', lines: ['\uFFFD', 2], ['k\uFFFD']: null });
  });
});
