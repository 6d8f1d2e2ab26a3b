export { createRedis, ensureRedisReady, pingRedis, readyRedis } from "./client.js";
export { guardRedis } from "./guard.js";
