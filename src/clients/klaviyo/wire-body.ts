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

  /** Appends UTF-8 JSON, or text (the ASCII of an envelope); answers where in the body it landed. */
  write(piece: Buffer | string): Buffer {
    const bytes = typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    if (bytes > this.buffer.length - this.length)
      throw new Error(`a request body outgrew the ${this.buffer.length} bytes measured for it`);
    const start = this.length;
    this.length += typeof piece === 'string' ? this.buffer.write(piece, start) : piece.copy(this.buffer, start);
    return this.buffer.subarray(start, this.length);
  }

  /** The body written so far (the buffer's unused end left off). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
