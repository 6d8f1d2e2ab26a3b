// esbuild plugins for `serverless package` (serverless-esbuild loads this file by path).
// CommonJS because serverless-esbuild require()s it.

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

module.exports = [stubUnused];
