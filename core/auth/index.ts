export {
  authenticate,
  findApiKey,
  generateApiKey,
  hashApiKey,
  mayActFor,
  presentedKey,
  requireScope,
  requireUser,
} from "./api-keys.js";
export { ForbiddenError, RateLimitedError, UnauthorizedError } from "./errors.js";
export { RateLimiter } from "./rate-limit.js";
