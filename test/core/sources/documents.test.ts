import { describe, expect, it } from "vitest";
import { rowKey, rowToDocument } from "../../../core/sources/index.js";

const shape = {
  source: "shop",
  table: "products",
  textFields: ["title", "body"],
  metadataFields: ["id", "price"],
  primaryKey: ["id"],
};

describe("rows to documents", () => {
  it("labels text lines by field and skips empty ones", () => {
    const document = rowToDocument({ id: 7, title: "Desk", body: "", price: 120 }, shape);
    expect(document.text).toBe("title: Desk");
    expect(document.metadata).toMatchObject({ id: 7, price: 120, source: "shop", table: "products", row_key: "7" });
  });

  it("gives the same row the same id and hash on every run, and a changed text a new hash", () => {
    const first = rowToDocument({ id: 7, title: "Desk", body: "Oak", price: 120 }, shape);
    const again = rowToDocument({ id: 7, title: "Desk", body: "Oak", price: 120 }, shape);
    const repriced = rowToDocument({ id: 7, title: "Desk", body: "Oak", price: 99 }, shape);
    const edited = rowToDocument({ id: 7, title: "Desk", body: "Walnut", price: 120 }, shape);
    expect(again).toEqual(first);
    expect(repriced.contentHash).toBe(first.contentHash);
    expect(edited.contentHash).not.toBe(first.contentHash);
    expect(edited.id).toBe(first.id);
  });

  it("joins composite keys so that no value can imitate the separator", () => {
    const composite = { ...shape, primaryKey: ["a", "b"] };
    expect(rowKey({ a: "x,y", b: "z" }, composite)).not.toBe(rowKey({ a: "x", b: "y,z" }, composite));
    expect(rowKey({ a: 1, b: 2 }, composite)).toBe("1,2");
  });
});
