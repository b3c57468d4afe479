"""The workflow used as a Snakemake module from another directory."""

from pathlib import Path

import pytest
from conftest import REPO, snakemake

from emotify_pipeline.plumbing.figure_specs import ALL_FIGURES

pytestmark = pytest.mark.slow

SMALL = (
    "demo={n_per_genre: 6, duration: 3.0}",
    "audio={duration: 3.0, min_duration: 1.0}",
    "evaluation={repeats: 4, permutations: 9, permutation_splits: 2, ceiling_splits: 5, ablation_repeats: 3}",
)


def test_the_demo_runs_to_its_end_as_a_module_from_another_directory(tmp_path: Path) -> None:
    (tmp_path / "Snakefile").write_text(
        f"""configfile: "{REPO}/config/demo.yaml"


module emotify:
    snakefile:
        "{REPO}/Snakefile"
    config:
        config


use rule * from emotify as emotify_*
"""
    )
    triggers = ("--rerun-triggers", "mtime", "params", "input", "software-env")
    snakemake(tmp_path, *triggers, "--config", *SMALL)
    assert (tmp_path / "results/summary.md").is_file()
    assert len(list((tmp_path / "results/figures").glob("*.png"))) == len(ALL_FIGURES)
    dry = snakemake(tmp_path, "-n", *triggers, "--config", *SMALL)
    assert "Nothing to be done" in dry.stdout + dry.stderr
