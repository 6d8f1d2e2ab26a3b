// `npx tsx bench/retrieval/build-corpus.ts [--limit N]`: builds (or reports) the retrieval evaluation corpus
// without running the benchmark; `npm run bench -- retrieval` calls the same code. Installs manpages and
// manpages-dev with apt-get when missing (as root), then renders every page with `man` once.
import { testServices } from "../../test/support/services.js";
import { corpusSchema, ensureCorpus } from "./corpus.js";

const limitAt = process.argv.indexOf("--limit");
const limit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : undefined;
const corpus = await ensureCorpus(testServices.postgresUrl, { limit });
console.log(
  `${corpusSchema}.${corpus.table}: ${corpus.pages} pages, ${corpus.identifiers.length} identifiers (${corpus.built ? "built now" : "already stored"})`,
);
for (const identifier of corpus.identifiers) console.log(`  ${identifier.query} → ${identifier.page}`);
