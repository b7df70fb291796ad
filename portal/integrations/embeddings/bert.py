"""A BERT encoder forward pass in NumPy (inference only), for small sentence-embedding models such as MiniLM."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, far below what float32 activations resolve.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_MASKED = np.float32(-1e9)


@dataclass(frozen=True)
class Layer:
    """One transformer block; dense weights are stored transposed (x @ w) and contiguous."""

    qkv_w: Array  # (hidden, 3 * hidden): query, key and value side by side
    qkv_b: Array
    attn_out_w: Array
    attn_out_b: Array
    attn_norm: tuple[Array, Array]
    ffn_in_w: Array
    ffn_in_b: Array
    ffn_out_w: Array
    ffn_out_b: Array
    ffn_norm: tuple[Array, Array]


@dataclass(frozen=True)
class BertWeights:
    word: Array
    position: Array
    token_type: Array
    embed_norm: tuple[Array, Array]
    layers: tuple[Layer, ...]
    heads: int
    eps: float

    @property
    def max_positions(self) -> int:
        return int(self.position.shape[0])


def bert_weights(tensors: Mapping[str, npt.NDArray[np.generic]], *, heads: int, eps: float = 1e-12) -> BertWeights:
    """Arrange a Hugging Face BertModel state dict (names without the 'bert.' prefix) for `bert_encode`."""

    def t(name: str) -> Array:
        return np.ascontiguousarray(tensors[name], dtype=np.float32)

    def dense(name: str) -> tuple[Array, Array]:
        return np.ascontiguousarray(t(f"{name}.weight").T), t(f"{name}.bias")

    def norm(name: str) -> tuple[Array, Array]:
        return t(f"{name}.weight"), t(f"{name}.bias")

    layers = []
    count = 1 + max(int(name.split(".")[2]) for name in tensors if name.startswith("encoder.layer."))
    for i in range(count):
        p = f"encoder.layer.{i}"
        q, k, v = (dense(f"{p}.attention.self.{part}") for part in ("query", "key", "value"))
        layers.append(
            Layer(
                np.ascontiguousarray(np.concatenate([q[0], k[0], v[0]], axis=1)),
                np.concatenate([q[1], k[1], v[1]]),
                *dense(f"{p}.attention.output.dense"),
                norm(f"{p}.attention.output.LayerNorm"),
                *dense(f"{p}.intermediate.dense"),
                *dense(f"{p}.output.dense"),
                norm(f"{p}.output.LayerNorm"),
            )
        )
    return BertWeights(
        word=t("embeddings.word_embeddings.weight"),
        position=t("embeddings.position_embeddings.weight"),
        token_type=t("embeddings.token_type_embeddings.weight"),
        embed_norm=norm("embeddings.LayerNorm"),
        layers=tuple(layers),
        heads=heads,
        eps=eps,
    )


def erf(x: Array) -> Array:
    """The error function, elementwise (NumPy has none and SciPy is not a dependency)."""
    a = np.minimum(np.abs(x), np.float32(6.0))  # erf(6) is 1 in float32; larger values only make denormals
    t = 1.0 / (1.0 + _ERF_P * a)
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))


def gelu(x: Array) -> Array:
    """GELU with the exact erf form, as BERT's "gelu" activation."""
    return 0.5 * x * (1.0 + erf(x * np.float32(1 / math.sqrt(2))))


def layer_norm(x: Array, norm: tuple[Array, Array], eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * norm[0] + norm[1]


def softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention(w: BertWeights, layer: Layer, x: Array, bias: Array) -> Array:
    """Self-attention over x, (batch * seq, hidden) with the batch's texts one after the other."""
    batch, seq = bias.shape[0], bias.shape[-1]
    hidden = x.shape[1]
    size = hidden // w.heads
    qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, seq, 3, w.heads, size).transpose(2, 0, 3, 1, 4)
    # Contiguous copies: NumPy's stacked matmul over strided views is several times slower.
    query = np.ascontiguousarray(qkv[0]) * np.float32(1 / math.sqrt(size))
    key_t = np.ascontiguousarray(qkv[1].transpose(0, 1, 3, 2))
    value = np.ascontiguousarray(qkv[2])
    context = (softmax(query @ key_t + bias) @ value).transpose(0, 2, 1, 3).reshape(batch * seq, hidden)
    return layer_norm(context @ layer.attn_out_w + layer.attn_out_b + x, layer.attn_norm, w.eps)


def _feed_forward(w: BertWeights, layer: Layer, x: Array) -> Array:
    inner = gelu(x @ layer.ffn_in_w + layer.ffn_in_b)
    return layer_norm(inner @ layer.ffn_out_w + layer.ffn_out_b + x, layer.ffn_norm, w.eps)


def bert_encode(w: BertWeights, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Array:
    """Last hidden states (batch, seq, hidden) for token ids (batch, seq); mask is 1 for tokens, 0 for padding."""
    batch, seq = ids.shape
    x = w.word[ids] + w.position[:seq] + w.token_type[0]
    x = layer_norm(x.reshape(batch * seq, -1), w.embed_norm, w.eps)
    bias = np.where(mask[:, None, None, :] > 0, np.float32(0), _MASKED).astype(np.float32)
    for layer in w.layers:
        x = _feed_forward(w, layer, _attention(w, layer, x, bias))
    return x.reshape(batch, seq, -1)


def mean_pool(hidden: Array, mask: npt.NDArray[np.int64]) -> Array:
    """Average of the token states, padding excluded (sentence-transformers' mean pooling)."""
    m = mask[:, :, None].astype(np.float32)
    return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), np.float32(1e-9))


def l2_normalise(x: Array) -> Array:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), np.float32(1e-12))
