import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileConnector, FilePathError, resolveFileInside, TableNotFoundError } from "../../../core/sources/index.js";

function dataFolder() {
  const root = mkdtempSync(path.join(tmpdir(), "files-"));
  const data = path.join(root, "data");
  mkdirSync(path.join(data, "shop"), { recursive: true });
  writeFileSync(path.join(root, "secret.csv"), "password\nhunter2\n");
  writeFileSync(path.join(data, "shop", "products.csv"), 'id,name,price\n1,Desk,120.5\n2,"Lamp, brass",30\n3,Chair,\n');
  writeFileSync(
    path.join(data, "shop", "articles.jsonl"),
    '{"id":"a1","title":"Returns","meta":{"views":3}}\n\n{"id":"a2","title":"Shipping"}\n',
  );
  symlinkSync(path.join(root, "secret.csv"), path.join(data, "shop", "escape.csv"));
  return data;
}

describe("file sources, confined to the data folder", () => {
  const data = dataFolder();

  it("refuses '..', absolute paths and symlinks that leave the folder", async () => {
    await expect(resolveFileInside(data, "../secret.csv")).rejects.toThrow(/'\.\.' is not allowed/);
    await expect(resolveFileInside(data, path.join(data, "..", "secret.csv"))).rejects.toThrow(/absolute/);
    await expect(resolveFileInside(data, "shop/escape.csv")).rejects.toThrow(/outside the data folder/);
    await expect(resolveFileInside(data, "shop/missing.csv")).rejects.toBeInstanceOf(FilePathError);
    expect(await resolveFileInside(data, "shop/products.csv")).toMatch(/products\.csv$/);
  });

  it("lists, describes and streams CSV files, never a file outside the folder", async () => {
    const csv = new FileConnector({ name: "files", kind: "csv", path: "shop" }, { dataDir: data, sampleSize: 10 });
    expect((await csv.listTables()).map((table) => table.name)).toEqual(["products.csv"]);
    const schema = await csv.describe("products.csv");
    expect(schema.columns.map((column) => column.name)).toEqual(["id", "name", "price"]);
    expect(schema.primaryKey).toEqual(["id"]);
    const rows = [];
    for await (const row of csv.stream({ table: "products.csv", fields: ["id", "name"] })) rows.push(row);
    expect(rows).toEqual([
      { id: "1", name: "Desk" },
      { id: "2", name: "Lamp, brass" },
      { id: "3", name: "Chair" },
    ]);
    expect(await csv.count("products.csv", [{ column: "price", op: "gt", value: 50 }])).toBe(1);
    await expect(csv.describe("escape.csv")).rejects.toBeInstanceOf(TableNotFoundError);
    await expect(csv.describe("../../secret.csv")).rejects.toBeInstanceOf(TableNotFoundError);
  });

  it("streams JSONL files with nested fields", async () => {
    const jsonl = new FileConnector({ name: "kb", kind: "jsonl", path: "shop" }, { dataDir: data, sampleSize: 10 });
    const schema = await jsonl.describe("articles.jsonl");
    expect(schema.columns.map((column) => column.name)).toEqual(["id", "title", "meta", "meta.views"]);
    expect(await jsonl.count("articles.jsonl")).toBe(2);
  });

  it("reads the bundled sample data", async () => {
    const samples = new FileConnector(
      { name: "samples", kind: "csv", path: "samples" },
      { dataDir: "data", sampleSize: 50 },
    );
    expect(await samples.count("products.csv")).toBe(300);
    const articles = new FileConnector(
      { name: "samples-jsonl", kind: "jsonl", path: "samples" },
      { dataDir: "data", sampleSize: 50 },
    );
    expect(await articles.count("articles.jsonl")).toBe(120);
  });
});
