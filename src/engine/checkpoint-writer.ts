/**
 * Writes the run's checkpoint whenever asked, one write at a time: requests made while a write is
 * under way are folded into one more write after it. A failed write is logged; the next carries its
 * position.
 */
export class CheckpointWriter {
  private writing?: Promise<void>;
  private requestedAgain = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly write: (signal: AbortSignal) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.controller.signal.aborted) return;
    if (this.writing) {
      this.requestedAgain = true;
      return;
    }
    this.writing = this.writeUntilCurrent();
  }

  /** Stops writing and waits for the write under way, which is cut short: the final checkpoint follows. */
  async close(): Promise<void> {
    this.controller.abort(new Error('the run ended'));
    await this.writing;
  }

  private async writeUntilCurrent(): Promise<void> {
    do {
      this.requestedAgain = false;
      try {
        await this.write(this.controller.signal);
      } catch (error) {
        if (!this.controller.signal.aborted) this.onError(error);
      }
    } while (this.requestedAgain && !this.controller.signal.aborted);
    this.writing = undefined;
  }
}
