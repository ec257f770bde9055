/**
 * Serialized keys bound to dense ids, held in typed arrays: the key bytes in
 * one arena, an open-addressing hash index over them. A `Map<string, number>`
 * costs a string and a map entry per key, which at a million keys per store is
 * most of an instance's heap and most of its garbage-collection time (every
 * key survives to the old generation, where each major collection walks it);
 * here the heap holds a few arrays whatever the number of keys.
 */

const EMPTY = -1;
/** A slot whose key was removed: probes continue past it. */
const DELETED = -2;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The 32-bit FNV-1a hash of `bytes[from, to)`. */
function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME);
  return h | 0;
}

/** The hash of `s`'s UTF-8 bytes when `s` is ASCII (its code units are those bytes), else `undefined`. */
function hashAscii(s: string): number | undefined {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return undefined;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h | 0;
}

export class KeyTable {
  private arena = new Uint8Array(1 << 12);
  private arenaUsed = 0;
  /** Arena bytes of keys no longer bound: reclaimed by a compaction once they are half the arena. */
  private arenaGarbage = 0;
  /** Per id: arena offset, byte length (-1 = unbound) and hash of its key. */
  private starts = new Int32Array(1 << 8);
  private lengths = new Int32Array(1 << 8).fill(-1);
  private hashes = new Int32Array(1 << 8);
  /** Hash index: an id, EMPTY or DELETED per slot; a power of two, at most half full counting DELETED. */
  private slots = new Int32Array(1 << 9).fill(EMPTY);
  private used = 0;
  private bound = 0;

  /** Keys bound. */
  get size(): number {
    return this.bound;
  }

  /** Whether `id` holds a key. */
  has(id: number): boolean {
    return id < this.lengths.length && (this.lengths[id] as number) >= 0;
  }

  /** The id bound to the key `bytes[from, to)`, or -1. */
  find(bytes: Uint8Array, from = 0, to = bytes.length): number {
    return this.probe(hashBytes(bytes, from, to), bytes, from, to);
  }

  /**
   * The id bound to the UTF-8 bytes of `s` when `s` is ASCII: -1 when unbound,
   * -2 when `s` is not ASCII (the caller encodes it and calls {@link find}).
   */
  findAscii(s: string): number {
    const h = hashAscii(s);
    if (h === undefined) return -2;
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i] as number;
      if (id === EMPTY) return -1;
      if (id >= 0 && this.hashes[id] === h && this.lengths[id] === s.length && this.equalsAscii(id, s)) return id;
    }
  }

  /** Whether `id` holds exactly the key `bytes[from, to)`. */
  holds(id: number, bytes: Uint8Array, from = 0, to = bytes.length): boolean {
    const n = to - from;
    if (!this.has(id) || this.lengths[id] !== n) return false;
    const arena = this.arena;
    const start = this.starts[id] as number;
    for (let i = 0; i < n; i++) if (arena[start + i] !== bytes[from + i]) return false;
    return true;
  }

  /** Binds the unbound `id` to the key `bytes[from, to)` (copied), which no id holds. */
  bind(id: number, bytes: Uint8Array, from = 0, to = bytes.length): void {
    const n = to - from;
    const start = this.reserve(id, n);
    const arena = this.arena;
    for (let i = 0; i < n; i++) arena[start + i] = bytes[from + i] as number;
    this.index(id, start, n);
  }

  /** Binds the unbound `id` to the ASCII string `s`, which no id holds. */
  bindAscii(id: number, s: string): void {
    const n = s.length;
    const start = this.reserve(id, n);
    const arena = this.arena;
    for (let i = 0; i < n; i++) arena[start + i] = s.charCodeAt(i);
    this.index(id, start, n);
  }

  /** Room for `id` and `n` key bytes; returns where in the arena they go. */
  private reserve(id: number, n: number): number {
    this.ensureId(id);
    if (this.arenaUsed + n > this.arena.length) this.growArena(n);
    return this.arenaUsed;
  }

  /** Binds `id` to the `n` bytes just written at `start`. */
  private index(id: number, start: number, n: number): void {
    this.starts[id] = start;
    this.lengths[id] = n;
    this.hashes[id] = hashBytes(this.arena, start, start + n);
    this.arenaUsed += n;
    this.insertSlot(id);
  }

  /** Frees `id`'s key; nothing happens when it holds none. */
  unbind(id: number): void {
    if (!this.has(id)) return;
    const mask = this.slots.length - 1;
    for (let i = (this.hashes[id] as number) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i] as number;
      if (s === EMPTY) break;
      if (s === id) {
        this.slots[i] = DELETED;
        break;
      }
    }
    this.arenaGarbage += this.lengths[id] as number;
    this.lengths[id] = -1;
    this.bound--;
  }

  /** The key bytes of `id` (a view into the arena: valid until the next bind). */
  bytesOf(id: number): Uint8Array {
    const start = this.starts[id] as number;
    return this.arena.subarray(start, start + (this.lengths[id] as number));
  }

  /** Whether `id`'s key is ASCII (so its bytes read as a string are the UTF-8 decoding). */
  isAscii(id: number): boolean {
    const start = this.starts[id] as number;
    const end = start + (this.lengths[id] as number);
    for (let i = start; i < end; i++) if ((this.arena[i] as number) > 0x7f) return false;
    return true;
  }

  /** `id`'s key bytes as a latin1 string (one code unit per byte; for ASCII keys, the text). */
  latin1Of(id: number): string {
    const bytes = this.bytesOf(id);
    // One call builds a flat string; char-by-char appends build a rope that each lookup flattens.
    if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    let s = '';
    for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
    return s;
  }

  private equalsAscii(id: number, s: string): boolean {
    const arena = this.arena;
    const start = this.starts[id] as number;
    for (let i = 0; i < s.length; i++) if (arena[start + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private probe(h: number, bytes: Uint8Array, from: number, to: number): number {
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = this.slots[i] as number;
      if (id === EMPTY) return -1;
      if (id >= 0 && this.hashes[id] === h && this.holds(id, bytes, from, to)) return id;
    }
  }

  /** Indexes `id`, whose key fields are set. */
  private insertSlot(id: number): void {
    this.bound++;
    // The rebuild indexes every bound id, this one included.
    if ((this.used + 1) * 2 > this.slots.length) {
      this.rehash();
      return;
    }
    const mask = this.slots.length - 1;
    for (let i = (this.hashes[id] as number) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i] as number;
      if (s === EMPTY) {
        this.used++;
        this.slots[i] = id;
        return;
      }
      if (s === DELETED) {
        this.slots[i] = id;
        return;
      }
    }
  }

  /** Rebuilds the index without DELETED slots, at most a quarter full. */
  private rehash(): void {
    let size = 1 << 9;
    while (size < this.bound * 4) size *= 2;
    const slots = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let id = 0; id < this.lengths.length; id++) {
      if ((this.lengths[id] as number) < 0) continue;
      let i = (this.hashes[id] as number) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
    this.used = this.bound;
  }

  private ensureId(id: number): void {
    if (id < this.lengths.length) return;
    let n = this.lengths.length;
    while (n <= id) n *= 2;
    const grow = (a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, 0);
    this.lengths = grow(this.lengths, -1);
    this.hashes = grow(this.hashes, 0);
  }

  /** Makes room for `n` more bytes: drops unbound keys' bytes when they are most of the arena, else doubles it. */
  private growArena(n: number): void {
    const live = this.arenaUsed - this.arenaGarbage;
    let size = this.arena.length;
    while (live + n > size / 2) size *= 2;
    const arena = new Uint8Array(size);
    if (this.arenaGarbage * 2 < this.arenaUsed) {
      arena.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = arena;
      return;
    }
    const old = this.arena;
    let at = 0;
    for (let id = 0; id < this.lengths.length; id++) {
      const len = this.lengths[id] as number;
      if (len < 0) continue;
      const start = this.starts[id] as number;
      for (let i = 0; i < len; i++) arena[at + i] = old[start + i] as number;
      this.starts[id] = at;
      at += len;
    }
    this.arena = arena;
    this.arenaUsed = at;
    this.arenaGarbage = 0;
  }
}
