/**
 * Request body buffers, reused. A fresh 600 KB buffer costs about 0.1 ms more to fill than a reused one (the kernel
 * maps and zeroes new pages on first touch; measured: 78-140 us against 12-22 us per 600 KB body), on the HTTP
 * thread, for every binary request. The session workers hand the input buffers back after the run (transferred, not
 * copied), and the next body of the same size is read into one of them.
 *
 * Only whole ArrayBuffers of the exact size are reused; a reused buffer holds the previous request's bytes until the
 * new body overwrites them, and the HTTP layer fails any request whose body does not fill its buffer.
 */

/** Buffers smaller than this are not worth keeping. */
export const MIN_POOLED_BYTES = 64 * 1024;

export class BufferPool {
  private readonly bySize = new Map<number, ArrayBuffer[]>();
  /** Sizes bodies were read at: only those are kept (a decoded JSON tensor's buffer never matches a body's size). */
  private readonly wanted = new Set<number>();
  private pooled = 0;
  /** Bodies read into a reused buffer, and into a new one. */
  public reused = 0;
  public allocated = 0;

  /**
   * @param maxBytes bytes kept at most over all sizes
   * @param maxPerSize buffers kept at most per size (about the requests in flight at once)
   */
  constructor(private readonly maxBytes = 16 * 1024 * 1024, private readonly maxPerSize = 16) {}

  /** A buffer of exactly `size` bytes: a returned one when there is one, else a new, uninitialised one. */
  public take(size: number): ArrayBuffer {
    if (size >= MIN_POOLED_BYTES && !this.wanted.has(size)) {
      if (this.wanted.size >= 64) this.wanted.clear(); // many distinct sizes: keep the recent ones only
      this.wanted.add(size);
    }
    const list = this.bySize.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.pooled -= size;
      this.reused++;
      return reused;
    }
    this.allocated++;
    return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
  }

  /** Keeps a buffer nobody uses any more for a later `take` of its size (or drops it when the pool is full). */
  public give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    if (size < MIN_POOLED_BYTES || !this.wanted.has(size) || this.pooled + size > this.maxBytes) return;
    let list = this.bySize.get(size);
    if (list === undefined) {
      list = [];
      this.bySize.set(size, list);
    }
    if (list.length >= this.maxPerSize || list.includes(buffer)) return;
    list.push(buffer);
    this.pooled += size;
  }

  /** Bytes held for reuse. */
  public get bytes(): number {
    return this.pooled;
  }
}

/** The process's pool: the HTTP layer takes from it, the session pools give back to it. */
export const bodyBuffers = new BufferPool();
