// The uint32 hash table against a Map, through inserts, updates, deletes (backward shift) and filters.
import test from 'ava';
import { U32Table } from '../../src/core/u32-table.js';

test('behaves like a Map under random inserts, deletes and filters', (t) => {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const table = new U32Table(4);
  const ref = new Map<number, number>();
  for (let i = 0; i < 50_000; i++) {
    // a small key space with high bits set: collisions, long probe runs, keys above 2^31
    const key = (0xc0000000 + (rnd() % 4096) * 65537) >>> 0;
    const op = rnd() % 10;
    if (op < 6) {
      table.set(key, i);
      ref.set(key, i);
    } else if (op < 9) {
      t.is(table.delete(key), ref.get(key) ?? -1);
      ref.delete(key);
    } else if (i % 1000 === 0) {
      t.is(table.filter((k) => k % 3 !== 0), [...ref.keys()].filter((k) => k % 3 === 0).length);
      for (const k of [...ref.keys()]) if (k % 3 === 0) ref.delete(k);
    }
    if (i % 997 === 0) {
      t.is(table.size, ref.size);
      for (const [k, v] of ref) if (table.get(k) !== v) return t.fail(`key ${k}`);
    }
  }
  let seen = 0;
  table.forEach((k, v) => {
    if (ref.get(k) === v) seen++;
  });
  t.is(seen, ref.size);
  t.is(table.get(1), -1);
});
