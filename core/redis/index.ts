export { createRedis, ensureRedisReady, pingRedis } from "./client.js";
