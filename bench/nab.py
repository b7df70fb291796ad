"""NAB benchmark: our streaming ensemble against Windowed Gaussian, scored with NAB's own rules.

    python bench/nab.py --data-dir ../shared/testdata/nab/data \
        --labels ../shared/testdata/nab/labels/combined_windows.json

Runs every detector over every series in the data folder that has labels (NAB layout:
`<category>/<file>.csv` with `timestamp,value`), picks one threshold per detector and profile that
maximises the corpus score, and prints one line per detector and profile with wall time, points per
second and the ratio of our score to each baseline's. When NAB's published Windowed Gaussian outputs sit
beside the data (`../results/windowedGaussian/`), they are scored too: that is the check that the
scorer is NAB's (29.06 / 14.79 / 35.80 on the shared 41-file subset).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from portal.aiops.nab.benchmark import (
    DETECTORS,
    DetectorRun,
    published_run,
    run_detector,
    score_run,
)
from portal.aiops.nab.corpus import LabelledSeries, load_corpus, load_results
from portal.aiops.nab.scoring import ProfileResult, load_profiles

NAB_DIR = PROJECT_ROOT.parent / "shared" / "testdata" / "nab"
OURS = "ensemble"
PUBLISHED_WG = "windowedGaussian_published"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=NAB_DIR / "data")
    parser.add_argument("--labels", type=Path, default=NAB_DIR / "labels" / "combined_windows.json")
    parser.add_argument("--profiles", type=Path, default=None, help="NAB profiles.json (default: beside data-dir)")
    parser.add_argument("--results-dir", type=Path, default=None, help="published results (default: beside data)")
    parser.add_argument("--detectors", nargs="*", default=list(DETECTORS), choices=list(DETECTORS))
    return parser.parse_args(argv)


def say(line: str) -> None:
    """Print one line of the report."""
    sys.stdout.write(line + "\n")


def published_wg(results_dir: Path, corpus: list[LabelledSeries]) -> DetectorRun | None:
    """Load NAB's published Windowed Gaussian outputs for the corpus, if they are all there."""
    folder = results_dir / "windowedGaussian"
    if not folder.is_dir():
        return None
    try:
        return published_run(PUBLISHED_WG, load_results(folder, "windowedGaussian", corpus), corpus)
    except (OSError, KeyError):
        return None


def report_line(run: DetectorRun, profile: str, result: ProfileResult) -> str:
    """Format one detector-and-profile line."""
    timing = f"{run.seconds:8.1f} {run.points_per_second:10.0f}" if run.seconds else f"{'-':>8} {'-':>10}"
    return (
        f"{run.name:28} {profile:14} {result.normalised:7.2f} {result.threshold:<18.15g} "
        f"{result.windows_detected:3d}/{result.windows_total:<3d} {result.false_positive_rows:6d} {timing}"
    )


def ratio_lines(scores: dict[str, dict[str, ProfileResult]]) -> list[str]:
    """Format our score divided by each baseline's, per profile."""
    lines = []
    for baseline, results in scores.items():
        if baseline == OURS or OURS not in scores:
            continue
        parts = []
        for profile, result in results.items():
            ours = scores[OURS][profile].normalised
            parts.append(f"{profile} {ours / result.normalised:.2f}x" if result.normalised else f"{profile} n/a")
        lines.append(f"{OURS} / {baseline}: " + ", ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = arguments(argv)
    profiles = load_profiles(args.profiles or args.data_dir.parent / "profiles.json")
    corpus = load_corpus(args.data_dir, args.labels)
    points = sum(len(series.values) for series in corpus)
    windows = sum(len(series.windows) for series in corpus)
    say(f"NAB: {len(corpus)} labelled series, {points} points, {windows} anomaly windows in {args.data_dir}")
    runs = [run_detector(name, DETECTORS[name], corpus) for name in args.detectors]
    published = published_wg(args.results_dir or args.data_dir.parent / "results", corpus)
    runs += [published] if published is not None else []
    scores = {run.name: score_run(run, profiles) for run in runs}
    say(f"{'detector':28} {'profile':14} {'score':>7} {'threshold':18} windows {'fp':>6} {'seconds':>8} points/s")
    for run in runs:
        for profile, result in scores[run.name].items():
            say(report_line(run, profile, result))
    for line in ratio_lines(scores):
        say(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
