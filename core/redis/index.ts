export { createRedis, ensureRedisReady, pingRedis } from "./client.js";
export { guardRedis, isRedisUnavailable } from "./guard.js";
