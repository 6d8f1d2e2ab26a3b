// esbuild plugins for `serverless package` (serverless-esbuild loads this file by path).
// CommonJS because serverless-esbuild require()s it.
const fs = require("node:fs");
const path = require("node:path");

/**
 * Modules that a bundle must not carry and no function calls: transformers.js imports sharp for
 * images only (this service embeds text), and optional drivers of mongodb are loaded lazily.
 * Each becomes an empty module, so a function never loads native code it does not use.
 */
const unused = [
  "sharp",
  "kerberos",
  "snappy",
  "@mongodb-js/zstd",
  "@aws-sdk/credential-providers",
  "mongodb-client-encryption",
  "socks",
  "aws4",
  "pg-native",
];

const stubUnused = {
  name: "stub-unused",
  setup(build) {
    const filter = new RegExp(`^(${unused.map((name) => name.replace(/[/.@-]/g, "\\$&")).join("|")})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: "stub-unused" }));
    build.onLoad({ filter: /.*/, namespace: "stub-unused" }, (args) => ({
      // transformers.js imports sharp at the top of its module and refuses to load without it: a
      // function that throws only when an image is actually decoded.
      // The others are required inside try/catch by their drivers, which then run without them.
      contents:
        args.path === "sharp"
          ? 'module.exports = function sharp() { throw new Error("images are not supported here"); };'
          : `throw new Error(${JSON.stringify(`${args.path} is not shipped with this function`)});`,
      loader: "js",
    }));
  },
};

/**
 * zod re-exports every one of its ~40 message locales (366 KB, a sixth of a small function's bundle), while
 * this service only ever uses the English one it configures by default. Its locale index is replaced by one
 * that exports English alone; `z.locales.<other>` would be undefined, and nothing here calls it.
 */
const englishZodOnly = {
  name: "english-zod-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

/**
 * libpg-query (PostgreSQL's parser as WebAssembly, for the `sql` tool) is an emscripten module: its glue reads
 * `libpg-query.wasm` from `__dirname`, which an ES module bundle does not have. So the glue is bundled with
 * `__dirname` set to the bundle's own folder, and the .wasm is copied beside the bundle under the bundle's
 * name (`chat.libpg-query.wasm` beside `chat.mjs`): serverless-esbuild then zips it with that function only,
 * as it does a bundle's `.map`. The glue's text is checked, so a new version that changes it fails the build.
 */
const wasmSource = require.resolve("libpg-query/wasm/libpg-query.wasm");
const gluePath = path.join(path.dirname(wasmSource), "libpg-query.js");
const wasmLookup = 'locateFile("libpg-query.wasm")';
const bundleFolder = "ship-pg-parser-bundle-folder";

const shipPgParser = {
  name: "ship-pg-parser",
  setup(build) {
    const [entry] = Array.isArray(build.initialOptions.entryPoints) ? build.initialOptions.entryPoints : [];
    if (typeof entry !== "string") return;
    const wasmName = `${path.basename(entry, path.extname(entry))}.libpg-query.wasm`;
    let bundled = false;
    build.onLoad({ filter: /[\\/]libpg-query[\\/]wasm[\\/]libpg-query\.js$/ }, async (args) => {
      const glue = await fs.promises.readFile(args.path, "utf8");
      if (path.resolve(args.path) !== gluePath || glue.split(wasmLookup).length !== 2 || !glue.includes("__dirname")) {
        throw new Error(`libpg-query's glue (${args.path}) no longer looks up ${wasmLookup} from __dirname`);
      }
      bundled = true;
      return {
        contents: `var __dirname = require("${bundleFolder}").default;\n${glue.replace(wasmLookup, `locateFile(${JSON.stringify(wasmName)})`)}`,
        loader: "js",
      };
    });
    // An ES module of its own, so the glue stays CommonJS: import.meta.url is the bundle's address, since
    // esbuild keeps import.meta as is in an ES module bundle.
    build.onResolve({ filter: new RegExp(`^${bundleFolder}$`) }, (args) => ({
      path: args.path,
      namespace: bundleFolder,
    }));
    build.onLoad({ filter: /.*/, namespace: bundleFolder }, () => ({
      contents:
        'import { dirname } from "node:path"; import { fileURLToPath } from "node:url"; export default dirname(fileURLToPath(import.meta.url));',
      loader: "js",
    }));
    // A module loaded is not a module kept: tree shaking drops the glue from functions that import a
    // module beside the parser without calling it (the history function through core/chat), and those
    // must not ship the 1.7 MB .wasm. The metafile says which inputs left bytes in an output.
    build.initialOptions.metafile = true;
    const keptGlue = (result) =>
      Object.values(result.metafile?.outputs ?? {}).some((output) =>
        Object.entries(output.inputs).some(
          ([input, { bytesInOutput }]) => bytesInOutput > 0 && path.resolve(input) === gluePath,
        ),
      );
    build.onEnd(async (result) => {
      if (!bundled || result.errors.length || !keptGlue(result)) return;
      const outdir = build.initialOptions.outdir;
      if (!outdir) throw new Error("ship-pg-parser needs esbuild's outdir");
      await fs.promises.copyFile(wasmSource, path.join(outdir, wasmName));
    });
  },
};

module.exports = [stubUnused, englishZodOnly, shipPgParser];
