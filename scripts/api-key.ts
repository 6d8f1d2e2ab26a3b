// npm run api-key -- --name web --scopes chat --users 'ada,team-*' [--rate 120]
// Prints a new random API key (give it to the client; it is shown once) and the API_KEYS entry
// holding only its sha256, to add to the server's configuration.
import { parseArgs } from "node:util";
import { generateApiKey } from "../core/auth/index.js";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    scopes: { type: "string", default: "chat" },
    users: { type: "string", default: "" },
    rate: { type: "string" },
  },
});
if (!values.name) {
  console.error("usage: npm run api-key -- --name NAME [--scopes chat,query,admin] [--users 'ada,team-*'] [--rate N]");
  process.exit(2);
}
const { key, sha256 } = generateApiKey();
const entry = {
  name: values.name,
  sha256,
  scopes: values.scopes.split(",").map((scope) => scope.trim()),
  users: values.users
    .split(",")
    .map((user) => user.trim())
    .filter(Boolean),
  ...(values.rate ? { rate_limit_per_minute: Number(values.rate) } : {}),
};
console.log(`key (shown once): ${key}`);
console.log(`API_KEYS entry:   ${JSON.stringify(entry)}`);
