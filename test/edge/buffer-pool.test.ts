/** The body buffer pool: exact sizes, only sizes bodies were read at, bounded. */
import { BufferPool, MIN_POOLED_BYTES } from '../../edge/model/buffer-pool';

describe('BufferPool', () => {
  const size = 600 * 1024;

  test('hands back a returned buffer of the same size, and a new one otherwise', () => {
    const pool = new BufferPool();
    const a = pool.take(size);
    expect(a.byteLength).toBe(size);
    pool.give(a);
    expect(pool.bytes).toBe(size);
    expect(pool.take(size)).toBe(a);
    expect(pool.bytes).toBe(0);
    const b = pool.take(size);
    expect(b).not.toBe(a);
    expect(pool.take(size + 8).byteLength).toBe(size + 8);
  });

  test('keeps only sizes that bodies were read at, and none below the minimum', () => {
    const pool = new BufferPool();
    pool.give(new ArrayBuffer(size)); // e.g. a decoded JSON tensor: no body of this size yet
    expect(pool.bytes).toBe(0);
    pool.take(MIN_POOLED_BYTES - 1);
    pool.give(new ArrayBuffer(MIN_POOLED_BYTES - 1));
    expect(pool.bytes).toBe(0);
    pool.take(size);
    const c = new ArrayBuffer(size);
    pool.give(c);
    pool.give(c); // twice: kept once
    expect(pool.bytes).toBe(size);
  });

  test('is bounded in bytes and per size', () => {
    const pool = new BufferPool(3 * size, 2);
    pool.take(size);
    for (let i = 0; i < 5; i++) pool.give(new ArrayBuffer(size));
    expect(pool.bytes).toBe(2 * size);
    pool.take(2 * size);
    pool.give(new ArrayBuffer(2 * size)); // would make 4 sizes' worth: dropped
    expect(pool.bytes).toBe(2 * size);
  });
});
