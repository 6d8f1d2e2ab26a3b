import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { FilePathError } from "./errors.js";

/**
 * Resolves `relative` inside `root` and refuses anything that leaves it: absolute paths, `..`
 * segments, and symlinks whose target lies outside (checked on the real path, after links).
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (!relative || relative.includes("\0")) throw new FilePathError("a file path is required");
  if (path.isAbsolute(relative) || /^[a-z]:/i.test(relative)) throw new FilePathError("absolute paths are not allowed");
  if (relative.split(/[\\/]/).includes("..")) throw new FilePathError("'..' is not allowed in file paths");
  const realRoot = await realpath(root).catch(() => {
    throw new FilePathError("the data folder does not exist");
  });
  const candidate = path.resolve(realRoot, relative);
  const real = await realpath(candidate).catch(() => {
    throw new FilePathError(`no such file: ${relative}`);
  });
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new FilePathError(`${relative} is outside the data folder`);
  }
  return real;
}

/** Like resolveInside, and the path must be a regular file. */
export async function resolveFileInside(root: string, relative: string): Promise<string> {
  const real = await resolveInside(root, relative);
  if (!(await stat(real)).isFile()) throw new FilePathError(`${relative} is not a file`);
  return real;
}
