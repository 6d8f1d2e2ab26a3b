/**
 * An AbortController for one provider call, following the caller's signal. The provider
 * aborts it itself when a stream is left early (the consumer broke out of its loop) or
 * stalls, so the connection is closed rather than left to the server.
 */
export interface CallAbort {
  readonly signal: AbortSignal;
  abort(): void;
  /** Stops following the caller's signal; call once the call is over. */
  dispose(): void;
}

export function linkAbort(callerSignal: AbortSignal | undefined): CallAbort {
  const controller = new AbortController();
  const follow = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) follow();
  else callerSignal?.addEventListener("abort", follow, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose: () => callerSignal?.removeEventListener("abort", follow),
  };
}

/** Whether `error` is how fetch (and `@google/genai` over it) reports an aborted request. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
