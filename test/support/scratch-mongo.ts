import { MongoClient } from "mongodb";
import { assertTestDatabase, testServices } from "./services.js";

/** A connected client and a database of the run's own, `<run>_test`; drop it with dropMongoDatabase. */
export async function scratchMongoDatabase(run: string): Promise<{ client: MongoClient; database: string }> {
  const database = `${run}_test`;
  assertTestDatabase(database);
  const client = new MongoClient(testServices.mongoUrl);
  await client.connect();
  return { client, database };
}

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
