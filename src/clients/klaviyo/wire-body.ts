/**
 * A request body written piece by piece into one buffer: the pieces (records already in their wire
 * form) are copied once, never first joined into a string as large as the body.
 */
export class WireBodyWriter {
  private readonly buffer: Buffer;
  private length = 0;

  /** `maxBytes`: at least the UTF-8 bytes of all pieces together. */
  constructor(maxBytes: number) {
    this.buffer = Buffer.allocUnsafe(maxBytes);
  }

  write(text: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8; only near the end is the exact size needed.
    const room = this.buffer.length - this.length;
    if (text.length * 3 > room && Buffer.byteLength(text) > room)
      throw new Error(`a request body outgrew the ${this.buffer.length} bytes measured for it`);
    this.length += this.buffer.write(text, this.length);
  }

  /** The body written so far (the buffer's unused end left off). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
