import { ComponentUnavailableError } from "../errors/index.js";

// Server replies that mean "not now" rather than "wrong command": loading a dump, a busy script,
// out of memory, a replica that cannot take writes, a failed save that blocks writes.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MISCONF|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;
// ioredis reports a lost or refused connection with plain Errors; these are their messages.
const CONNECTION_MESSAGE =
  /connection is closed|stream isn't writeable|command timed out|socket timeout|not ready within|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/i;

/** Whether an error from a Redis call means Redis is unreachable or refusing work for now. */
function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ReplyError") return TRANSIENT_REPLY.test(error.message);
  if (error.name === "MaxRetriesPerRequestError" || error.name === "AbortError") return true;
  const code = (error as { code?: unknown }).code;
  return CONNECTION_MESSAGE.test(`${typeof code === "string" ? code : ""} ${error.message}`);
}

/**
 * Runs Redis work, turning an unreachable Redis into ComponentUnavailableError (a 503 that tells the
 * client to retry). Anything else — a wrong key type, a script error, a bug in the caller — keeps
 * its own error, so it is logged as the fault it is instead of blamed on Redis.
 */
export async function guardRedis<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ComponentUnavailableError || !isRedisUnavailable(error)) throw error;
    throw new ComponentUnavailableError("redis", { cause: error });
  }
}
