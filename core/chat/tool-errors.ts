import { z } from "zod";
import { AppError, ComponentUnavailableError, InvalidInputError, NotFoundError } from "../errors/index.js";
import { QueryTimeoutError } from "../query/index.js";

/** A failed tool call as the model (and the caller) is told it. */
export interface ToolFailure {
  code: string;
  message: string;
}

/**
 * A failure the model can act on, in words it can correct from: a spec that fails its schema, an
 * unknown column or table, a query cut at its timeout, a source that is down. Undefined for
 * anything else (a bug), which fails the chat as it would any request.
 */
export function toolFailure(error: unknown): ToolFailure | undefined {
  if (error instanceof z.ZodError) {
    const issues = error.issues.map((issue) => {
      const path = issue.path.map(String).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    return { code: "validation_error", message: `invalid arguments: ${issues.join("; ")}` };
  }
  if (error instanceof InvalidInputError || error instanceof NotFoundError || error instanceof QueryTimeoutError) {
    return { code: error.code, message: error.message };
  }
  // Messages above the 4xx kind are not shown to HTTP clients; the model gets the code and a plain word.
  if (error instanceof ComponentUnavailableError) {
    return { code: error.code, message: `${error.component} is unavailable right now` };
  }
  if (error instanceof AppError) return { code: error.code, message: "the tool failed" };
  return undefined;
}
