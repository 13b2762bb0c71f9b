/** A fixed-size set of small integers (here: which operations are linearized). */
export class Bitset {
  /** 15 bits per word: as UTF-16 code units they stay clear of the surrogates, so `key` is exact. */
  private readonly words: Uint16Array;

  constructor(size: number) {
    this.words = new Uint16Array(Math.ceil(size / BITS));
  }

  add(i: number): void {
    const w = Math.floor(i / BITS);
    this.words[w] = (this.words[w] ?? 0) | (1 << (i % BITS));
  }

  delete(i: number): void {
    const w = Math.floor(i / BITS);
    this.words[w] = (this.words[w] ?? 0) & ~(1 << (i % BITS));
  }

  has(i: number): boolean {
    return ((this.words[Math.floor(i / BITS)] ?? 0) & (1 << (i % BITS))) !== 0;
  }

  /** A string equal for equal sets, cheap to build and to use as a Map key. */
  key(): string {
    return UTF16.decode(this.words);
  }
}

const BITS = 15;

const platformIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const UTF16 = new TextDecoder(platformIsLittleEndian ? 'utf-16le' : 'utf-16be');
