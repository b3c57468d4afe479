"""The configuration schema and the typing of nested command-line values."""

from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO

from emotify_pipeline.plumbing.config_tools import coerce_to_schema

SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "real40.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    path = REPO / "config" / name
    if not path.exists():
        pytest.skip(f"{name} not shipped")
    _validator().validate(yaml.safe_load(path.read_text()))


def test_unknown_key_and_wrong_type_are_rejected() -> None:
    with pytest.raises(jsonschema.ValidationError, match="'kk' was unexpected"):
        _validator().validate({"knn": {"kk": 3}})
    with pytest.raises(jsonschema.ValidationError, match="'five' is not of type 'integer'"):
        _validator().validate(coerce_to_schema({"knn": {"k": "five"}}, SCHEMA))


def test_command_line_strings_get_the_schema_types() -> None:
    raw = {"knn": {"k": "7"}, "split": {"test_size": "0.25", "stratify": "false"}, "spectrogram": {"fmax": "null"}}
    typed = coerce_to_schema(raw, SCHEMA)
    assert typed == {"knn": {"k": 7}, "split": {"test_size": 0.25, "stratify": False}, "spectrogram": {"fmax": None}}
    _validator().validate(typed)
    assert coerce_to_schema({"features": {"weights": "random"}}, SCHEMA) == {"features": {"weights": "random"}}


def test_every_schema_key_is_documented() -> None:
    readme = (REPO / "config" / "README.md").read_text()

    def keys(schema: dict, prefix: str = "") -> list[str]:
        out = []
        for k, sub in schema.get("properties", {}).items():
            out.append(prefix + k)
            out += keys(sub, prefix + k + ".")
        return out

    missing = [k for k in keys(SCHEMA) if f"`{k}`" not in readme]
    assert not missing, f"config/README.md lacks {missing}"
    assert Path(REPO / "config" / "schema.yaml").exists()


def test_a_config_problem_is_one_line_naming_the_key_and_the_closest_one() -> None:
    from emotify_pipeline.plumbing.config_tools import config_problem

    assert config_problem({"knnn": {"k": 5}}, SCHEMA).startswith("unknown key 'knnn'; did you mean 'knn'?")
    assert config_problem({"features": {"weigths": "random"}}, SCHEMA).startswith(
        "unknown key 'features.weigths'; did you mean 'features.weights'?"
    )
    assert config_problem({"zzzz": 1}, SCHEMA).startswith("unknown key 'zzzz' (valid keys here: run_label, data")
    assert config_problem({"knn": {"k": 0}}, SCHEMA) == "knn.k: 0 is less than the minimum of 1"
    assert config_problem({"knn": {"k": 3}}, SCHEMA) is None
    for problem in (config_problem({"knnn": {}}, SCHEMA), config_problem({"knn": {"k": "x"}}, SCHEMA)):
        assert "\n" not in problem


def test_command_line_lists_get_the_schema_types() -> None:
    typed = coerce_to_schema({"evaluation": {"pca_components": ["2", "9"]}}, SCHEMA)
    assert typed == {"evaluation": {"pca_components": [2, 9]}}
    _validator().validate(typed)


def test_the_schema_offers_exactly_the_layers_and_poolings_the_extractor_knows() -> None:
    from emotify_pipeline.features.networks.vgg19 import FC_LAYERS, LAYERS, POOLINGS

    feats = SCHEMA["properties"]["features"]["properties"]
    assert sorted(feats["layer"]["enum"]) == sorted([*LAYERS, *FC_LAYERS])
    assert sorted(feats["pooling"]["enum"]) == sorted(POOLINGS)


def test_the_readme_lists_every_figure_from_the_one_declaration() -> None:
    from emotify_pipeline.study.table import figure_titles

    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- figures:begin -->")[1].split("<!-- figures:end -->")[0]
    listed = [line for line in block.splitlines() if line.startswith("- `results/figures/")]
    titles = figure_titles()
    assert f"draws {len(titles)} figures" in block
    assert listed == [f"- `results/figures/{name}.png`: {title}" for name, title in titles.items()]


def test_the_config_readme_says_what_each_key_reruns_as_the_one_declaration_does() -> None:
    """config/README.md's "reruns" column is emotify_pipeline.plumbing.reruns' ``says`` for every key it
    declares (whose plan tests/test_faults.py checks with snakemake -n)."""
    from emotify_pipeline.plumbing.reruns import RERUNS

    rows = {}
    for line in (REPO / "config" / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and cells[1].startswith("`") and cells[1].endswith("`"):
            rows[cells[1].strip("`")] = cells[-2]
    assert len({r.key for r in RERUNS}) == len(RERUNS)
    for r in RERUNS:
        assert rows.get(r.key) == r.says, r.key


def test_a_bare_run_in_a_fresh_clone_names_the_three_ways_on(tmp_path: Path) -> None:
    """The README's "a plain ``snakemake --cores 2``" in a fresh clone (no data at
    resources/emotify/): one message naming the local copy, the download and the demo; no job
    runs, nothing lands under results/."""
    from conftest import copy_workflow, snakemake

    work = copy_workflow(tmp_path / "clone")
    assert not (work / "resources" / "emotify" / "data.csv").exists()
    run = snakemake(work, "--cores", "2", check=False, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "resources/emotify/data.csv not found" in out, out
    assert "data={root: /path/to/emotify}" in out and "data={source: download}" in out
    assert "--configfile config/demo.yaml" in out and "Traceback" not in out
    assert out.count("WorkflowError") == 1
    assert not [p for p in (work / "results").rglob("*") if p.name != "README.md"]


def test_a_dry_run_names_missing_annotations_and_a_lint_does_not(tmp_path: Path) -> None:
    """``snakemake -n`` on a local copy that is not there says so in one line (it plans the
    study), not a MissingInputException from deep inside the DAG; ``--lint`` of the shipped
    config.yaml (whose data.root need not exist on a developer's machine or in CI) passes."""
    from conftest import snakemake

    from emotify_pipeline.plumbing.run_guard import is_dry_run

    assert is_dry_run(["-n"]) and is_dry_run(["-np"]) and is_dry_run(["--dry-run", "x"])
    assert not is_dry_run(["--lint"]) and not is_dry_run(["--cores", "2"])
    missing = tmp_path / "nowhere"
    run = snakemake(REPO, "-n", "--config", f"data={{source: local, root: {missing}}}", check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and f"{missing}/data.csv not found (data.root / data.annotations)" in out
    # the three ways on, in the same message
    assert "data={root: /path/to/emotify}" in out and "data={source: download}" in out
    assert "--configfile config/demo.yaml" in out
    assert "MissingInputException" not in out
