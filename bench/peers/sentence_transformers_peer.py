"""The seed's own stack as a peer: sentence-transformers and the chromadb Python client, rows read
with psycopg and written in batches of 100 (model.encode, then collection.add), as the seed did.

The model folder is the project's (.services/models/Xenova/all-MiniLM-L6-v2): ONNX files only, no
PyTorch weights, so sentence-transformers loads it with its ONNX backend (onnxruntime via optimum);
torch (Debian's python3-torch) is then only its tensor glue. The folder has no sentence-transformers
modules.json, so the library builds Transformer + mean pooling; normalize_embeddings=True gives the
Normalize step the published all-MiniLM-L6-v2 pipeline ends with, and max_seq_length is set to its 256. Run by bench/peers.bench.ts with
the PeerConfig JSON as its one argument; prints one `PEERS_RESULT {json}` line.
"""

import json
import os
import re
import sys
import time
from importlib.metadata import version
from urllib.parse import urlparse

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import chromadb  # noqa: E402
import psycopg  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

BATCH = 100


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1)) * 1024


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def main() -> None:
    config = json.loads(sys.argv[1])
    model = SentenceTransformer(
        os.path.join(config["modelDir"], config["model"]),
        backend="onnx",
        device="cpu",
        model_kwargs={"file_name": "onnx/model.onnx"},
    )
    # The published model's sentence_bert_config.json says 256; this folder has none (so 512 otherwise).
    model.max_seq_length = 256
    # Loads the model and the session before the clock starts, as the other peers do.
    model.encode(["warm up"])
    chroma = urlparse(config["chromaUrl"])
    client = chromadb.HttpClient(host=chroma.hostname, port=chroma.port)
    field = config["textField"]
    result = {
        "peer": "sentence-transformers",
        "versions": {
            name: version(name)
            for name in ["sentence-transformers", "transformers", "optimum", "onnxruntime", "torch", "chromadb", "psycopg"]
        },
        "runs": [],
    }
    result["versions"]["python"] = sys.version.split()[0]
    for run in config["runs"]:
        try:
            client.delete_collection(run["collection"])
        except Exception:  # noqa: BLE001 (absent: nothing to delete)
            pass
        collection = client.create_collection(run["collection"])
        reset_peak_rss()
        started = time.perf_counter()
        with psycopg.connect(config["postgresUrl"]) as connection:
            rows = connection.execute(
                f'SELECT id, {field} FROM {run["schema"]}.{run["table"]} ORDER BY id'
            ).fetchall()
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            texts = [f"{field}: {text}" for _, text in batch]
            embeddings = model.encode(texts, normalize_embeddings=True)
            collection.add(
                ids=[f"row-{key}" for key, _ in batch],
                embeddings=embeddings.tolist(),
                documents=texts,
                metadatas=[{"table": run["table"], "row_key": str(key)} for key, _ in batch],
            )
        seconds = time.perf_counter() - started
        query_milliseconds = []
        for query in run["queries"]:
            query_started = time.perf_counter()
            found = collection.query(
                query_embeddings=model.encode([query], normalize_embeddings=True).tolist(), n_results=run["k"]
            )
            query_milliseconds.append((time.perf_counter() - query_started) * 1000)
            if len(found["ids"][0]) < min(run["k"], len(rows)):
                raise RuntimeError(f'"{query}" found too few')
        result["runs"].append(
            {
                "variant": run["variant"],
                "documents": len(rows),
                "vectors": len(rows),
                "seconds": seconds,
                "queryMilliseconds": query_milliseconds,
                "peakRssBytes": peak_rss_bytes(),
            }
        )
        print(f"  sentence-transformers {run['variant']}: {len(rows)} rows in {seconds:.1f} s", file=sys.stderr)
    print("PEERS_RESULT " + json.dumps(result), flush=True)


main()
