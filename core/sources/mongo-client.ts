import { MongoClient } from "mongodb";

/** One client per MongoDB source; short server selection so an unreachable server fails fast. */
export function createMongoClient(url: string): MongoClient {
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    appName: "chat-with-your-data",
  });
}
