export { createRedis, pingRedis } from "./client.js";
