"""Log template mining: group log lines into patterns, so `timeout after 3012ms` and `timeout after 2988ms` are one.

Drain (He et al., ICWS 2017) through the drain3 package, after masking what varies inside a token (numbers,
durations, sizes, hex and UUID ids, IP addresses), so that only the number in `3012ms` becomes `<*>` and the
unit stays. A token Drain generalises keeps its `key=` prefix when every line of the pattern shares it.
No Django here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from drain3.masking import MaskingInstruction  # type: ignore[import-untyped,unused-ignore]
from drain3.template_miner import TemplateMiner  # type: ignore[import-untyped,unused-ignore]
from drain3.template_miner_config import TemplateMinerConfig  # type: ignore[import-untyped,unused-ignore]

WILDCARD = "<*>"
_BOUNDARY = r"(?<![A-Za-z0-9_])"
MASKS = (
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "uuid"),
    (_BOUNDARY + r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![0-9])", "ip"),
    (_BOUNDARY + r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}(?![0-9A-Za-z])", "hex"),
    (_BOUNDARY + r"0x[0-9a-fA-F]+(?![0-9A-Za-z])", "hex"),
    (_BOUNDARY + r"-?\d+(?:\.\d+)?", "number"),
)
_NAIVE_DIGITS = re.compile(r"\d+")


def naive_template(line: str) -> str:
    """The baseline: every run of digits becomes <*> (what a quick regex would do)."""
    return _NAIVE_DIGITS.sub(WILDCARD, line.strip())


def mask(line: str) -> str:
    """The line with its variable parts replaced by <*> (the same masking the miner applies)."""
    out = line
    for pattern, _ in MASKS:
        out = re.sub(pattern, WILDCARD, out)
    return out


@dataclass(frozen=True)
class Pattern:
    id: int
    template: str
    count: int
    example: str


class PatternMiner:
    """Feed lines with add(); each answers its pattern id; patterns() lists the final templates."""

    def __init__(self, *, similarity: float = 0.4, depth: int = 4, max_patterns: int = 5000) -> None:
        config = TemplateMinerConfig()
        config.drain_sim_th = similarity
        config.drain_depth = depth
        config.drain_max_clusters = max_patterns
        config.mask_prefix, config.mask_suffix = "<", ">"
        config.masking_instructions = [MaskingInstruction(pattern, "*") for pattern, _ in MASKS]
        config.parametrize_numeric_tokens = True
        self.miner = TemplateMiner(config=config)
        self.examples: dict[int, list[str]] = {}  # a few raw lines per pattern, to restore `key=` prefixes

    def add(self, line: str) -> int:
        result = self.miner.add_log_message(line.strip())
        cluster_id = int(result["cluster_id"])
        seen = self.examples.setdefault(cluster_id, [])
        if len(seen) < 8:
            seen.append(line.strip())
        return cluster_id

    def match(self, line: str) -> int | None:
        """The pattern a line belongs to now (after all lines are in), without learning from it."""
        cluster = self.miner.match(line.strip(), full_search_strategy="fallback")
        return int(cluster.cluster_id) if cluster is not None else None

    def template(self, cluster_id: int) -> str:
        for cluster in self.miner.drain.clusters:
            if cluster.cluster_id == cluster_id:
                return _restore_keys(cluster.get_template(), self.examples.get(cluster_id, []))
        raise KeyError(cluster_id)

    def patterns(self) -> list[Pattern]:
        return sorted(
            (
                Pattern(
                    id=c.cluster_id,
                    template=_restore_keys(c.get_template(), self.examples.get(c.cluster_id, [])),
                    count=c.size,
                    example=(self.examples.get(c.cluster_id) or [""])[0],
                )
                for c in self.miner.drain.clusters
            ),
            key=lambda p: -p.count,
        )


def _restore_keys(template: str, examples: list[str]) -> str:
    """`<*>` where every example has `key=...` at that token becomes `key=<*>`."""
    tokens = template.split()
    rows = [line.split() for line in examples if len(line.split()) == len(tokens)]
    if not rows:
        return template
    for i, token in enumerate(tokens):
        if token != WILDCARD:
            continue
        keys = {row[i].split("=", 1)[0] + "=" if "=" in row[i] else "" for row in rows}
        key = keys.pop() if len(keys) == 1 else ""
        ends = {re.search(r"[\"',;:)\]]*$", row[i]).group() for row in rows}  # type: ignore[union-attr]
        end = ends.pop() if len(ends) == 1 else ""
        if not re.fullmatch(r"[A-Za-z_][\w.-]*=", key):
            key = ""
        tokens[i] = key + WILDCARD + end
    return " ".join(tokens)


def mine(lines: Iterable[str], **options: float) -> tuple[list[int], dict[int, str]]:
    """Each line's final pattern id (two passes: learn all, then match) and each pattern's template."""
    miner = PatternMiner(**options)  # type: ignore[arg-type]
    materialised = [line for line in lines]
    first = [miner.add(line) for line in materialised]
    assigned = [miner.match(line) or first[i] for i, line in enumerate(materialised)]
    return assigned, {cid: miner.template(cid) for cid in set(assigned)}
