import type { StoredMetadata } from "./store.js";

/** What a cursor needs from the store: pages of one source's collection, by offset in insertion order. */
export interface CollectionPages {
  page(page: { limit: number; offset: number; table?: string }): Promise<StoredMetadata[]>;
  /** Whether the collection holds any record of another table than `table`. */
  holdsOtherThan(table: string): Promise<boolean>;
}

/**
 * Walks one table's stored records a page at a time. Chroma evaluates a `where` over the whole
 * collection for every page it returns (about 150 ms per page at 100,000 vectors, growing with the
 * collection), so an offset walk with a `table` filter is quadratic. When the collection holds only
 * that table, which one question at the start settles, the walk pages the collection without a
 * filter and drops here any record another table wrote meanwhile.
 * @example for (let page = await cursor.next(); page.length > 0; page = await cursor.next()) cursor.removed(n)
 */
export class TableCursor {
  private offset = 0;
  private done = false;
  private filterInStore: boolean | undefined;

  constructor(
    private readonly pages: CollectionPages,
    private readonly table: string,
    private readonly pageSize: number,
  ) {}

  /** The next page of the table's records; empty once the walk is over. */
  async next(): Promise<StoredMetadata[]> {
    this.filterInStore ??= await this.pages.holdsOtherThan(this.table);
    while (!this.done) {
      const raw = await this.pages.page({
        limit: this.pageSize,
        offset: this.offset,
        ...(this.filterInStore ? { table: this.table } : {}),
      });
      this.offset += raw.length;
      this.done = raw.length < this.pageSize;
      const records = raw.filter((record) => record.metadata.table === this.table);
      if (records.length > 0) return records;
    }
    return [];
  }

  /** The caller deleted `count` of the records last returned: they no longer take a place before the next page. */
  removed(count: number): void {
    this.offset -= count;
  }
}
