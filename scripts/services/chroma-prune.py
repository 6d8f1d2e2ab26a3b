"""Removes the segment directories of deleted Chroma collections, while the server is stopped.

Chroma 1.x deletes a collection's rows from chroma.sqlite3 but leaves its HNSW directory
behind (chroma-core/chroma#5259, #5520): every collection a test run creates and deletes would
stay on disk (one machine had 1,382 of them, 25.6 GB). A directory named like a segment id that
no row of the `segments` table names any more belongs to nothing and is removed.

Usage: python3 chroma-prune.py <chroma data directory>
"""

import os
import re
import shutil
import sqlite3
import sys

SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def directory_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def main(data: str) -> None:
    database = os.path.join(data, "chroma.sqlite3")
    if not os.path.exists(database):
        return
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        live = {row[0] for row in connection.execute("SELECT id FROM segments")}
    finally:
        connection.close()
    removed = freed = 0
    for name in os.listdir(data):
        path = os.path.join(data, name)
        if SEGMENT_DIR.match(name) and os.path.isdir(path) and name not in live:
            freed += directory_bytes(path)
            shutil.rmtree(path)
            removed += 1
    if removed:
        print(f"[services] chroma: removed {removed} directories of deleted collections ({freed / 1e6:.0f} MB)")


if __name__ == "__main__":
    main(sys.argv[1])
