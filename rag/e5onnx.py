"""Where rag/e5/ used to live: its public names, for callers not yet moved to ``rag.e5``."""

from rag.e5 import SPARSE_HEAD, OnnxE5Embeddings, Precision, SparseCode, ensure_converted, model_dir

__all__ = [
    "SPARSE_HEAD",
    "OnnxE5Embeddings",
    "Precision",
    "SparseCode",
    "ensure_converted",
    "model_dir",
]
