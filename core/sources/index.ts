export { createMongoClient } from "./mongo-client.js";
export { createPostgresPool } from "./postgres-pool.js";
