/**
 * Fires `onIdle` when `start` is not called again within `timeoutMs`: a stream whose
 * body stalls would otherwise hang for ever, since the OpenAI client's own timeout
 * covers only the wait for response headers.
 */
export class IdleTimer {
  private readonly timeoutMs: number;
  private readonly onIdle: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hasFired = false;

  constructor(timeoutMs: number, onIdle: () => void) {
    this.timeoutMs = timeoutMs;
    this.onIdle = onIdle;
  }

  get fired(): boolean {
    return this.hasFired;
  }

  /** (Re)starts the countdown; call on every chunk. */
  start(): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.hasFired = true;
      this.onIdle();
    }, this.timeoutMs);
  }

  /** Pauses the countdown, e.g. while the consumer handles a chunk: its slowness is not the server's. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
