"""Read a NAB-layout folder (`<category>/<file>.csv` with `timestamp,value`) and its anomaly windows."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LabelledSeries:
    """One data file: epoch-second timestamps, values and anomaly windows as inclusive row-index pairs."""

    name: str
    timestamps: FloatArray
    values: FloatArray
    windows: tuple[tuple[int, int], ...]


def epoch_seconds(texts: list[str]) -> FloatArray:
    """Parse NAB timestamps ('2014-07-01 00:00:00[.000000]') into epoch seconds."""
    return np.array(texts, dtype="datetime64[us]").astype(np.int64).astype(np.float64) / 1e6


def read_columns(path: Path, *names: str) -> dict[str, list[str]]:
    """Read the named columns of a CSV file as text."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in names}


def window_rows(timestamps: FloatArray, limits: list[list[str]]) -> tuple[tuple[int, int], ...]:
    """Turn window limits given as timestamps into inclusive row-index pairs, dropping windows with no rows."""
    starts = epoch_seconds([start for start, _ in limits])
    ends = epoch_seconds([end for _, end in limits])
    pairs = []
    for start, end in zip(starts, ends, strict=True):
        left = int(np.searchsorted(timestamps, start, side="left"))
        right = int(np.searchsorted(timestamps, end, side="right")) - 1
        if left <= right:
            pairs.append((left, right))
    return tuple(sorted(pairs))


def load_series(path: Path, name: str, limits: list[list[str]]) -> LabelledSeries:
    """Load one NAB data file and place its windows on its rows."""
    columns = read_columns(path, "timestamp", "value")
    timestamps = epoch_seconds(columns["timestamp"])
    values = np.array([float(text) for text in columns["value"]], dtype=np.float64)
    return LabelledSeries(name, timestamps, values, window_rows(timestamps, limits))


def load_labels(labels_path: Path) -> dict[str, list[list[str]]]:
    """Load NAB's combined windows JSON, keyed `<category>/<file>.csv`."""
    labels: dict[str, list[list[str]]] = json.loads(labels_path.read_text())
    return labels


def load_corpus(data_dir: Path, labels_path: Path) -> list[LabelledSeries]:
    """Load every series in `data_dir` that has an entry in the labels file, in name order."""
    labels = load_labels(labels_path)
    return [load_series(data_dir / name, name, labels[name]) for name in sorted(labels) if (data_dir / name).is_file()]


def load_results(results_dir: Path, detector: str, corpus: list[LabelledSeries]) -> list[FloatArray]:
    """Load a detector's published NAB results (`<category>/<detector>_<file>.csv`) in corpus order."""
    scores = []
    for series in corpus:
        category, file_name = series.name.split("/")
        columns = read_columns(results_dir / category / f"{detector}_{file_name}", "anomaly_score")
        scores.append(np.array([float(text) for text in columns["anomaly_score"]], dtype=np.float64))
    return scores
