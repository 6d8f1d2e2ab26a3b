import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../core/errors/index.js";
import { reservedMetadataKeys, resolveSelection, rowToDocument } from "../../../core/sources/index.js";

const column = (name: string) => ({ name, type: "text", nullable: true });
/** A table whose own columns collide with the service's metadata: `source`, `table` and `chunk`. */
const schema = {
  name: "shipments",
  columns: ["id", "source", "table", "chunk", "note"].map(column),
  primaryKey: ["id"],
};

describe("reserved metadata keys", () => {
  it("are the keys every stored chunk carries", () => {
    expect(reservedMetadataKeys).toEqual([
      "source",
      "table",
      "row_key",
      "content_hash",
      "chunk",
      "chunks",
      "chunk_text",
    ]);
  });

  it("refuses a reserved column asked for as metadata, naming each and what to do instead", () => {
    const failure = (() => {
      try {
        resolveSelection("shop", schema, { fields: ["id", "source", "table", "note"], textFields: ["note"] });
      } catch (error) {
        return error;
      }
    })() as InvalidInputError;
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toContain("'source', 'table'");
    expect(failure.message).toContain("embed them as text_fields");
    expect(failure.details).toMatchObject({ fields: ["source", "table"] });
  });

  it("leaves reserved columns out of metadata by default, so the service's values are never overwritten", () => {
    const selection = resolveSelection("shop", schema, { textFields: ["note", "source"] });
    expect(selection.metadataFields).toEqual(["id"]);
    const document = rowToDocument(
      { id: 7, source: "warehouse 3", table: "pallet", chunk: "x", note: "fragile" },
      { source: "shop", table: "shipments", ...selection },
    );
    expect(document.metadata).toMatchObject({ source: "shop", table: "shipments", row_key: "7", id: 7 });
    // Embedded, the column's own value is still there to be found.
    expect(document.text).toBe("note: fragile\nsource: warehouse 3");
  });
});
