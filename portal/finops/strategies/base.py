"""What every rightsizing strategy takes (a container's usage history) and gives (a recommendation, or why not)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
MIB = 1024.0**2
HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class OomKill:
    """A container killed for memory, with the request and limit it had then."""

    timestamp: float
    memory_request: float
    memory_limit: float
    pod: str = ""


@dataclass(frozen=True, eq=False)
class History:
    """One container's usage samples across its pods, oldest first, with its OOM kills.

    Timestamps are Unix seconds, CPU in cores, memory in bytes (working set). `pods` names each sample's pod; when
    empty, all samples come from one pod. `hpa_resources` lists the resources ("cpu", "memory") an HPA scales on.
    """

    container: str
    timestamps: FloatArray
    cpu_cores: FloatArray
    memory_bytes: FloatArray
    pods: tuple[str, ...] = ()
    oom_kills: tuple[OomKill, ...] = ()
    hpa_resources: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        sizes = {len(self.timestamps), len(self.cpu_cores), len(self.memory_bytes)} | (
            {len(self.pods)} if self.pods else set()
        )
        if len(sizes) > 1:
            raise ValueError(f"{self.container}: timestamps, cpu_cores, memory_bytes (and pods) differ in length")
        if np.any(np.diff(self.timestamps) < 0):
            raise ValueError(f"{self.container}: samples must be in time order")

    @classmethod
    def of(
        cls, container: str, samples: Iterable[tuple[float, float, float]], *, oom_kills: Iterable[OomKill] = ()
    ) -> History:
        """Build a one-pod history from (timestamp, cpu_cores, memory_bytes) samples in any order."""
        rows = np.array(sorted(samples), dtype=np.float64).reshape(-1, 3)
        kills = tuple(sorted(oom_kills, key=lambda kill: kill.timestamp))
        return cls(container, rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy(), oom_kills=kills)

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def end(self) -> float:
        """Return the time of the last sample (0 when there is none)."""
        return float(self.timestamps[-1]) if len(self) else 0.0

    @property
    def span_hours(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) / HOUR if len(self) else 0.0

    def since(self, moment: float) -> History:
        """Return the samples and OOM kills at or after the moment."""
        first = int(np.searchsorted(self.timestamps, moment, side="left"))
        return History(
            self.container,
            self.timestamps[first:],
            self.cpu_cores[first:],
            self.memory_bytes[first:],
            self.pods[first:],
            tuple(kill for kill in self.oom_kills if kill.timestamp >= moment),
            self.hpa_resources,
        )

    def last_hours(self, hours: float) -> History:
        """Return the trailing window of that many hours, ending at the last sample."""
        return self.since(self.end - hours * HOUR)

    def by_pod(self) -> dict[str, npt.NDArray[np.intp]]:
        """Return each pod's sample positions."""
        if not self.pods:
            return {"": np.arange(len(self))}
        names = np.asarray(self.pods)
        return {pod: np.flatnonzero(names == pod) for pod in dict.fromkeys(self.pods)}


@dataclass(frozen=True)
class Recommendation:
    """Requests and limits for one container (cores, bytes); a None value comes with `undefined_because`."""

    cpu_request: float | None = None
    memory_request: float | None = None
    memory_limit: float | None = None
    cpu_limit: float | None = None
    undefined_because: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def undefined(cls, because: str) -> Recommendation:
        """Return the answer "undefined, because ..." for when no value can be given."""
        return cls(undefined_because=because)

    @property
    def defined(self) -> bool:
        return self.cpu_request is not None or self.memory_request is not None


SettingsT = TypeVar("SettingsT")


class Strategy(ABC, Generic[SettingsT]):
    """A settings model and a pure run() from a history to a recommendation."""

    name: ClassVar[str]

    def __init__(self, settings: SettingsT) -> None:
        self.settings = settings

    @abstractmethod
    def run(self, history: History) -> Recommendation:
        """Recommend requests and limits from the history, or say why none can be given."""


def not_enough_history(history: History, *, samples: int = 1, hours: float = 0.0) -> str:
    """Return why the history is too short for a strategy, or "" when it is long enough."""
    if len(history) < samples:
        return f"undefined, because the history has {len(history)} samples and {samples} are needed"
    if history.span_hours < hours:
        return f"undefined, because the history covers {history.span_hours:.1f} h and {hours:g} h are needed"
    return ""
