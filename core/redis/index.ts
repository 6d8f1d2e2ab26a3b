export { createRedis, ensureRedisReady, pingRedis } from "./client.js";
export { guardRedis } from "./guard.js";
