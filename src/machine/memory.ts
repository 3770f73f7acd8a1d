/**
 * Physical memory: 32-bit words, grouped into frames, plus a static region for kernel data
 * (struct pages, mm_struct, locks). Each frame carries a use tag and an allocation generation
 * so that the use-after-free oracle can tell a live page table from a freed or reused one.
 */
import type { FrameUse } from './effects.js';

/** PAGE_POISON: freed frames are filled with it (mm/page_poison.c). */
export const POISON_WORD = 0xaaaaaaaa;

export class Memory {
  readonly words: Uint32Array;
  readonly use: FrameUse[];
  readonly gen: Uint32Array;
  /** LIFO of freed order-0 frames, so a freed page or table comes back soon. */
  private readonly recent: number[] = [];
  private staticTop: number;

  constructor(
    readonly frames: number,
    readonly frameWords: number,
    staticWords: number,
  ) {
    this.words = new Uint32Array(frames * frameWords + staticWords);
    this.use = Array.from({ length: frames }, () => ({ kind: 'free' }) as FrameUse);
    this.gen = new Uint32Array(frames);
    this.staticTop = frames * frameWords;
  }

  get size(): number {
    return this.words.length;
  }
  frameBase(frame: number): number {
    return frame * this.frameWords;
  }
  frameOf(addr: number): number {
    return addr < this.frames * this.frameWords ? Math.floor(addr / this.frameWords) : -1;
  }

  /** Boot-time carve-out of static kernel memory (not an effect: done before any thread runs). */
  reserveStatic(words: number): number {
    const base = this.staticTop;
    if (base + words > this.words.length) throw new Error('static region exhausted');
    this.staticTop += words;
    return base;
  }

  read(addr: number, width: 1 | 2): number {
    if (width === 1) return this.words[addr];
    return this.words[addr + 1] * 2 ** 32 + this.words[addr];
  }
  write(addr: number, width: 1 | 2, value: number): void {
    this.words[addr] = value % 2 ** 32;
    if (width === 2) this.words[addr + 1] = Math.floor(value / 2 ** 32);
  }

  /** The frame the allocator would hand out next for this order, or -1. Pure. */
  pick(order: number): number {
    const n = 1 << order;
    if (n === 1) {
      for (let i = this.recent.length - 1; i >= 0; i--) if (this.use[this.recent[i]].kind === 'free') return this.recent[i];
    }
    for (let f = 0; f + n <= this.frames; f += n) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) ok = this.use[f + j].kind === 'free';
      if (ok) return f;
    }
    return -1;
  }

  alloc(order: number, use: FrameUse): number {
    const f = this.pick(order);
    if (f < 0) return -1;
    const i = this.recent.lastIndexOf(f);
    if (i >= 0) this.recent.splice(i, 1);
    for (let j = 0; j < 1 << order; j++) {
      this.use[f + j] = use;
      this.gen[f + j]++;
      this.words.fill(0, this.frameBase(f + j), this.frameBase(f + j + 1));
    }
    return f;
  }

  /** Returns false on a double free (the frame was already free). */
  free(frame: number, order: number): boolean {
    let ok = true;
    for (let j = (1 << order) - 1; j >= 0; j--) {
      const f = frame + j;
      if (this.use[f].kind === 'free') ok = false;
      this.use[f] = { kind: 'free' };
      this.words.fill(POISON_WORD, this.frameBase(f), this.frameBase(f + 1));
      this.recent.push(f);
    }
    return ok;
  }
}
