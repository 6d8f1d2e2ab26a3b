import type { MongoClient } from "mongodb";
import { testServices } from "./services.js";

/** Drops a run's collections from the test database (those never made are no error) and closes its client. */
export async function dropMongoCollections(client: MongoClient, names: readonly string[]): Promise<void> {
  const database = client.db(testServices.mongoDatabase);
  for (const name of names)
    await database
      .collection(name)
      .drop()
      .catch(() => undefined);
  await client.close().catch(() => undefined);
}

/** Drops a database of a run's own (named to end in _test) and closes its client. */
export async function dropMongoDatabase(client: MongoClient, database: string): Promise<void> {
  await client
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close().catch(() => undefined);
}
