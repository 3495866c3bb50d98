"""Token-level alignment (SimAlign-style MaxSim) as a signal of the general answer's choice.

    python bench/token_align.py DUMP.pkl [DUMP.pkl ...] --store DIR [--cache FILE]
        [--pairs en>it it>en] [--layers 4 6 8 10 12] [--out SIGNALS.pkl] [--limit N]

Reads ``bench/answer_replay.py dump`` files, keeps the general-path questions whose gold is
in the top-3 chunks (``bench/general_choice.py``'s records), and for the twelve sentences
the answerer embeds (by its prior) computes, from one int8 e5 run per text with extra
outputs (the output of encoder layers 4, 6, 8, 10 besides the last hidden state, which the
shipped graph already returns), each content token's state ("passage: " / "query: "
prefix, ``<s>``, ``</s>``, punctuation and stopword pieces left out, as the sparse codes
do). Per (question, sentence), over the question's tokens:

- ``maxsim``: the mean of each token's best cosine among the sentence's tokens (late
  interaction, as ColBERT scores; SimAlign aligns words by these similarities);
- ``maxsim_c``: the same, less each token's mean cosine over the sentence (e5's token
  states are anisotropic: any two tokens are ~0.7 apart);
- ``mutual``: the share of the question's tokens whose best match picks them back
  (SimAlign's argmax alignment).

Then ``choose_general`` with ``score = dense + prior + w × signal`` per layer, signal and
weight (cont, first and 1/2/3/4+ as ``general_choice.py`` prints them), and the gold
sentence among the top 1 / top 3 by that score regardless of the keep-within window.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

from rag.e5.format import dequantize, ensure_converted, model_files
from rag.e5.runtime import _function_tokens, runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))
import general_choice as gc  # noqa: E402

SIGNALS = ("maxsim", "maxsim_c", "mutual")


class TokenStates:
    """Content-token states of a text at several layers, one int8 run per text (alone,
    as the answerer runs it), normalised, cached in memory."""

    def __init__(self, layers: list[int]) -> None:
        import onnx
        import onnxruntime as ort

        self.rt = runtime("int8")
        self.function = _function_tokens(self.rt.tokenizer)
        self.layers = layers
        model = onnx.load(str(model_files(ensure_converted("int8"), "int8")["model"]))
        # The last layer's output is the graph's own "hidden"; earlier layers are added.
        self.names = [
            "hidden"
            if k == 12
            else f"/model/encoder/layer.{k - 1}/output/LayerNorm/LayerNormalization_output_0"
            for k in layers
        ]
        for name in self.names:
            if name != "hidden":
                model.graph.output.append(
                    onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self.skip = {p: self.rt.prefix_tokens(p) for p in ("passage:", "query:")}
        self.cache: dict[tuple[str, str], dict[int, np.ndarray]] = {}

    def __call__(self, text: str, prefix: str) -> dict[int, np.ndarray]:
        key = (prefix, text)
        if key not in self.cache:
            rt = self.rt
            seq = [rt.bos, *rt.tokenizer.encode(f"{prefix} {text}")[:510], rt.eos]
            ids = np.asarray([seq], dtype=np.int64)
            words = dequantize(rt.words[ids].reshape(1, len(seq), -1, 18)).reshape(1, len(seq), -1)
            outs = self.session.run(
                self.names, {"words": words, "attention_mask": np.ones_like(ids)}
            )
            first = 1 + self.skip[prefix]
            keep = ~self.function[np.asarray(seq[first:-1])]
            states = {}
            for layer, out in zip(self.layers, outs, strict=True):
                h = out[0, first:-1]
                h = h[keep] if keep.any() else h
                states[layer] = (h / np.linalg.norm(h, axis=1, keepdims=True)).astype(np.float32)
            self.cache[key] = states
        return self.cache[key]


def signals(q: np.ndarray, s: np.ndarray) -> dict[str, float]:
    sim = q @ s.T  # question tokens x sentence tokens
    best = sim.max(axis=1)
    back = sim.argmax(axis=0)
    return {
        "maxsim": float(best.mean()),
        "maxsim_c": float((best - sim.mean(axis=1)).mean()),
        "mutual": float(np.mean(back[sim.argmax(axis=1)] == np.arange(len(q)))),
    }


def with_signal(layer: int, name: str, w: float) -> gc.Rule:
    base = gc.code_rule()

    def rule(r: gc.Rec) -> tuple[list[float], list[float]]:
        prior, _ = base(r)
        score = list(prior)
        for i, s in r.feats["tok"].items():
            score[i] = prior[i] + w * s[layer][name]
        return prior, score

    return rule


def top_k(recs: list[gc.Rec], rule: gc.Rule, k: int) -> int:
    """Questions whose gold sentence is among the top ``k`` scored, window aside."""
    held = 0
    for r in recs:
        _, bonus = rule(r)
        idx = list(r.feats["tok"])
        score = [r.dense(i) + bonus[i] for i in idx]
        top = sorted(range(len(idx)), key=lambda j: -score[j])[:k]
        held += any(r.feats["gold"][idx[j]] for j in top)
    return held


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dumps", type=Path, nargs="+")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("bench/.general_choice.pkl"))
    ap.add_argument("--pairs", nargs="*")
    ap.add_argument("--layers", type=int, nargs="*", default=[4, 6, 8, 10, 12])
    ap.add_argument("--weights", type=float, nargs="*", default=[0.1, 0.2, 0.3])
    ap.add_argument("--out", type=Path, help="save the signals per question here")
    ap.add_argument("--limit", type=int, help="only the first N questions (a smoke run)")
    args = ap.parse_args()
    recs = [r for r in gc.records(args.dumps) if not args.pairs or r.pair in args.pairs]
    recs = recs[: args.limit] if args.limit else recs
    gc.prepare(recs, gc.Vectors(args.store, args.cache))
    states = TokenStates(args.layers)
    base = gc.code_rule()
    for r in recs:
        prior, _ = base(r)
        order = sorted(range(len(r.cands)), key=lambda i: (-prior[i], i))
        q = states(r.info.text, "query:")
        r.feats["tok"] = {
            i: {k: signals(q[k], states(r.cands[i].text, "passage:")[k]) for k in args.layers}
            for i in order[: gc.ex.MAX_EMBEDDED_SENTENCES]
        }
    if args.out:
        args.out.write_bytes(
            pickle.dumps({(r.row["id"], r.info.text): r.feats["tok"] for r in recs})
        )
    gc.table(recs, "the code as is", rule=base)
    pairs = sorted({r.pair for r in recs})
    for p in pairs:
        sub = [r for r in recs if r.pair == p]
        print(f"{p}: gold sentence in top 1 / top 3, the code: "
              f"{top_k(sub, base, 1)} / {top_k(sub, base, 3)} of {len(sub)}")  # fmt: skip
    for layer in args.layers:
        for name in SIGNALS:
            for w in args.weights:
                rule = with_signal(layer, name, w)
                gc.table(recs, f"layer {layer} {name} x{w}", rule=rule)
                for p in pairs:
                    sub = [r for r in recs if r.pair == p]
                    print(f"    {p} top 1 / top 3: {top_k(sub, rule, 1)} / {top_k(sub, rule, 3)}")


if __name__ == "__main__":
    main()
