"""Render the generated blocks of the docs from their sources.

A page holds a block such as::

    <!-- generated: stages -->
    ...
    <!-- end generated -->

whose body is written by the renderer of that name (:data:`RENDERERS`) from the file or the code
it reads: a benchmark's result (``docs/benchmarks/*.json``, written by ``benchmarks/record.py``
with its machine, date, commit and command), the package's own modules, the configuration
schema. ``python docs/render.py`` rewrites every block; ``python docs/render.py --check`` lists
the stale ones and fails (``tests/test_docs.py::test_every_generated_block_is_current`` runs
it), so a hand-edited number or a table older than its source cannot pass.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BENCHMARKS = DOCS / "benchmarks"
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)

RENDERERS: dict[str, Callable[[], str]] = {}


def renderer(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a function that returns a block's Markdown body."""

    def register(func: Callable[[], str]) -> Callable[[], str]:
        RENDERERS[name] = func
        return func

    return register


def pages() -> list[Path]:
    """Every page of the docs: the README, config/README.md, results/README.md and docs/."""
    return [
        ROOT / "README.md",
        ROOT / "config" / "README.md",
        ROOT / "results" / "README.md",
        *sorted(DOCS.rglob("*.md")),
    ]


def render_text(text: str, where: str = "") -> str:
    """``text`` with the body of every generated block written afresh by its renderer."""

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in RENDERERS:
            raise KeyError(f"{where}: no renderer named {name!r} (docs/render.py knows {', '.join(sorted(RENDERERS))})")
        body = RENDERERS[name]().rstrip("\n") + "\n"
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(fill, text)


def stale_blocks(path: Path) -> list[str]:
    """The names of the generated blocks of ``path`` whose body differs from a fresh rendering."""
    text = path.read_text()
    fresh = render_text(text, str(path.relative_to(ROOT)))
    old = {m.start(): (m.group("name"), m.group("body")) for m in BLOCK.finditer(text)}
    new = [m.group("body") for m in BLOCK.finditer(fresh)]
    return [name for (name, body), body2 in zip(old.values(), new, strict=True) if body != body2]


# --------------------------------------------------------------------------- benchmark results


def load_result(name: str) -> dict:
    """``docs/benchmarks/<name>.json`` as ``benchmarks/record.py`` wrote it."""
    return json.loads((BENCHMARKS / f"{name}.json").read_text())


def provenance(record: dict) -> str:
    """One line naming where, when and from what code a result was measured."""
    meta = record["meta"]
    m = meta["machine"]
    gpu = f", {m['gpu']}" if m.get("gpu") else ""
    load = meta.get("load")
    busy = (
        f", load average {load['start'][0]:g} at the start and {load['end'][0]:g} at the end"
        if load
        else ", load not recorded"
    )
    return (
        f"*Measured on {m['cpu']} ({m['cores']} cores{gpu}{busy}), {meta['date'][:10]}, commit "
        f"`{meta['commit']}`: `{meta['command']}`.*"
    )


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells]) + "\n"


# --------------------------------------------------------------------------- the package's stages


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").split())
    return text.split(". ")[0].rstrip(".") + "." if text else ""


@renderer("stages")
def stages() -> str:
    """The package's stages in data-flow order, what each owns and its modules (from the code)."""
    from emotify_pipeline import STAGES
    from emotify_pipeline.plumbing.provenance import PACKAGE, imported_modules, module_name

    rows = []
    for stage in STAGES:
        folder = PACKAGE / stage
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        modules = sorted(
            module_name(p).removeprefix(f"{stage}.") for p in folder.rglob("*.py") if p.name != "__init__.py"
        )
        used = sorted(
            {
                m.split(".")[0]
                for p in folder.rglob("*.py")
                for m in imported_modules(p)
                if m.split(".")[0] != stage and m
            },
            key=STAGES.index,
        )
        rows.append(
            [
                f"`{stage}/`",
                _first_sentence(doc),
                ", ".join(f"`{m}`" for m in modules),
                ", ".join(used) or "(nothing)",
            ]
        )
    return markdown_table(["stage", "owns", "modules", "imports from"], rows)


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _stdout(record: dict) -> list[str]:
    return record.get("stdout") or []


def _markdown_table_rows(lines: list[str]) -> list[dict[str, str]]:
    """The rows of the first Markdown pipe table in ``lines``, as {header: cell}."""
    table = [line for line in lines if line.startswith("|")]
    if len(table) < 3:
        raise ValueError("no Markdown table in the benchmark's output")
    header = [c.strip() for c in table[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in row.strip("|").split("|")), strict=True)) for row in table[2:]]


def _line(lines: list[str], pattern: str) -> re.Match[str]:
    """The first line of ``lines`` that matches ``pattern`` (``re.search``)."""
    for line in lines:
        if m := re.search(pattern, line):
            return m
    raise ValueError(f"the benchmark's output has no line matching {pattern!r}")


# --------------------------------------------------------------------------- measured: extraction

EXTRACT_MODES = {
    "decode": "decode + log-mel + image, one clip at a time (decoding lower bound)",
    "forward": "VGG19 forward pass on images in memory, in batches (compute lower bound)",
    "naive": "decode, image, VGG19, one clip at a time",
    "pipeline": "the workflow's VGG19 extractor (decoding workers, batches)",
    "musicnn_forward": "the musicnn port's forward pass on log-mel patches in memory",
    "musicnn": "the workflow's musicnn extractor (one decode per clip, patches, the port)",
}


@renderer("extract")
def extract() -> str:
    """benchmarks/extract.py: every mode's time per clip as a ratio to VGG19's forward pass."""
    record = load_result("extract")
    runs: dict[str, list[dict]] = {}
    for r in record["result"]["results"]:
        runs.setdefault(r["mode"], []).append(r)
    # a mode run several times, interleaved with the others: its fastest run, the least disturbed
    rows = {mode: min(rs, key=lambda r: r["wall_s"]) for mode, rs in runs.items()}
    repeats = min(len(rs) for rs in runs.values())
    forward = rows["forward"]["wall_s"] / rows["forward"]["clips"]
    table = []
    for mode, what in EXTRACT_MODES.items():
        if mode not in rows:
            continue
        r = rows[mode]
        per_clip = r["wall_s"] / r["clips"]
        table.append(
            [f"`{mode}`", what, f"{per_clip / forward:.2f}x", _fmt(per_clip), _fmt(r["peak_rss_mb"] / 1024, 1)]
        )
    r0 = rows["forward"]
    text = (
        f"{r0['clips']} real clips of 60 s, `pool5`/`flatten`, fp32, batch 8, "
        f"{record['result']['threads']} torch threads, device `{r0['device']}`; each mode in a fresh process"
        + (
            f", the modes run in turn {repeats} times and each mode's fastest run shown"
            if repeats > 1
            else ", one after another"
        )
        + ".\n\n"
        + markdown_table(
            ["mode", "what it times", "time per clip / forward pass", "s per clip", "peak RSS (GB)"], table
        )
    )
    if {"decode", "pipeline"} <= set(rows):
        bound = rows["decode"]["wall_s"] + rows["forward"]["wall_s"]
        text += f"\nThe pipeline takes {rows['pipeline']['wall_s'] / bound:.2f}x the time of decode + forward"
        if "naive" in rows:
            text += f"; the naive loop {rows['naive']['wall_s'] / rows['pipeline']['wall_s']:.2f}x the pipeline's"
        text += ".\n"
    return text + "\n" + provenance(record) + "\n"


# --------------------------------------------------------------------------- measured: bf16


@renderer("precision")
def precision() -> str:
    """benchmarks/precision.py: fp32 against bf16 VGG19 features on the same clips."""
    record = load_result("precision")
    out = _stdout(record)
    times = {}
    for p in ("fp32", "bf16"):
        m = _line(out, rf"^{p} on (\w+): (\d+) clips in ([\d.]+) s \(([\d.]+) s per clip")
        times[p] = (m.group(1), int(m.group(2)), float(m.group(4)))
    cos = _line(out, r"cosine fp32 vs bf16: min ([\d.]+), mean ([\d.]+); relative error mean ([\d.]+)")
    nn = _line(out, r"neighbour lists \(k = (\d+)\), fp32 vs bf16, over (\d+) splits: ([\d.]+) % shared")
    acc = []
    for label in ("Exp I genre", "Exp II mean of 9 emotions"):
        m = _line(out, rf"^\s*{re.escape(label)}\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*$")
        acc.append([label, *(m.group(i) for i in range(1, 5))])
    device, clips, fp32 = times["fp32"]
    return (
        f"{clips} real clips, random-init VGG19 `pool5`/`flatten`, device `{device}`, decoding included:\n\n"
        + markdown_table(
            ["", "fp32", "bf16"],
            [
                ["s per clip", _fmt(fp32, 3), _fmt(times["bf16"][2], 3)],
                ["time / fp32's", "1.00x", f"{times['bf16'][2] / fp32:.2f}x"],
            ],
        )
        + f"\nbf16 against fp32: cosine of the features at least {cos.group(1)}, mean relative error "
        f"{float(cos.group(3)):.4f}; over {nn.group(2)} stratified 70/30 splits, **{nn.group(3)} %** of the "
        f"{nn.group(1)} nearest neighbours are shared.\n\n"
        + markdown_table(["accuracy over the splits", "fp32", "bf16", "difference", "split-to-split SD (fp32)"], acc)
        + "\n"
        + provenance(record)
        + "\n"
    )


# --------------------------------------------------------------------------- measured: the study


@renderer("study_real40")
def study_real40() -> str:
    """benchmarks/study_times.py --real: the whole study and its reruns against the forward pass."""
    record = load_result("study_real40")
    out = _stdout(record)
    fwd = _line(out, r"^## fp32 forward pass: ([\d.]+) s per clip x (\d+) clips = (\d+) s")
    forward = float(fwd.group(1)) * int(fwd.group(2))
    runs = [
        ("whole study", r"^## whole study: (\d+) s wall"),
        (
            "after extraction (every job downstream of the feature shards, forced)",
            r"^## after extraction .*: (\d+) s wall",
        ),
        ("`knn.k` 5 -> 7 (the votes only)", r"^## knn.k -> \d+: (\d+) s wall"),
        ("one rating flipped in data.csv", r"^## one rating flipped in data.csv: (\d+) s wall"),
    ]
    rows = []
    for label, pattern in runs:
        wall = float(_line(out, pattern).group(1))
        rows.append([label, f"{wall / forward:.2f}x", f"{wall:.0f}"])
    return (
        f"`config/real40.yaml` on a copy of the 40 real clips (100 splits per kind, 1,000 permutations), "
        f"`snakemake --cores 2`. The forward pass: VGG19 fp32 on the same clips, {float(fwd.group(1)):.3f} s per "
        f"clip, {forward:.0f} s for {fwd.group(2)}.\n\n"
        + markdown_table(["run", "wall time / forward pass", "wall (s)"], rows)
        + "\n"
        + provenance(record)
        + "\n"
    )


# --------------------------------------------------------------------------- measured: scale


@renderer("scale")
def scale() -> str:
    """benchmarks/scale.py: every stage after extraction at each size, wall time and peak RSS."""
    record = load_result("scale")
    results: dict[str, dict[int, dict]] = {}
    for line in _stdout(record):
        if m := re.match(r"^N =\s*(\d+) (\{.*\})$", line):
            r = json.loads(m.group(2))
            results.setdefault(r["stage"], {})[int(m.group(1))] = r
    sizes = sorted({n for by in results.values() for n in by})
    labels = {
        "production": "production descriptors (all clips)",
        "neighbours_audio": "audio rankings, per split (+5 inner folds)",
        "neighbours_ratings": "ratings rankings, per split",
        "ablation": "ablation rankings, per split",
        "pca": "Fig. 1 PCA (Gram of all clips)",
        "evaluate": "repeated evaluation (votes, permutations)",
    }
    rows = []
    for stage, label in labels.items():
        if stage not in results:
            continue
        cells = [
            f"{results[stage][n]['seconds']:.1f} s, {results[stage][n]['peak_rss_gb']:.2f} GB"
            if n in results[stage]
            else ""
            for n in sizes
        ]
        rows.append([label, *cells])
    return (
        markdown_table(["stage", *(f"{n:,} clips: wall time, peak RSS" for n in sizes)], rows)
        + "\n"
        + provenance(record)
        + "\n"
    )


# --------------------------------------------------------------------------- measured: calibration


@renderer("calibration")
def calibration() -> str:
    """benchmarks/calibration.py: rejection rates of every permutation test under simulated nulls."""
    record = load_result("calibration")
    out = _stdout(record)
    rows = _markdown_table_rows(out)
    header = ["test", "null", "runs", "p <= 0.05", "95 % interval", "p <= 0.10", "95 % interval", "mean p"]

    def cell(rate: str, runs: str, level: float) -> str:
        """The rate, in bold where its exact Clopper-Pearson 95 % interval (from the count, not
        from the rounded interval printed beside it) misses ``level``."""
        from scipy.stats import beta

        n = int(runs)
        k = round(float(rate) * n)
        low = beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
        high = beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
        return f"**{rate}**" if not low <= level <= high else rate

    table = [
        [
            f"`{r['test']}`",
            f"`{r['null']}`",
            r["runs"],
            cell(r["p<=0.05"], r["runs"], 0.05),
            r["ci_0.05"],
            cell(r["p<=0.10"], r["runs"], 0.10),
            r["ci_0.10"],
            r["mean_p"],
        ]
        for r in rows
    ]
    misses = _line(out, r"^95 % intervals that miss the nominal level: (.*)$").group(1)
    permutations = {r["permutations"] for r in rows}
    return (
        f"{', '.join(sorted(permutations))} permutations per p-value. A rate in bold: its interval misses the "
        "nominal level.\n\n"
        + markdown_table(header, table)
        + f"\nIntervals that miss the nominal level: {misses}.\n\n"
        + provenance(record)
        + "\n"
    )


# --------------------------------------------------------------------------- measured: rating shares


def _share_cell(mean: float | None, low: float | None = None, high: float | None = None, signed: bool = False) -> str:
    """'0.35 [0.28, 0.42]' (a bare mean without an interval, 'n/a' without a mean)."""
    if mean is None:
        return "n/a"
    fmt = "+.2f" if signed else ".2f"
    if low is None or high is None:
        return f"{mean:{fmt}}"
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def shares_block(name: str) -> str:
    """benchmarks/shares.py: every network's R2 of the rating shares beside their reliability, the
    networks' paired difference, and the time of the rules against the forward pass."""
    from emotify_pipeline.core.emotify import EMOTIONS

    record = load_result(name)
    r = record["result"]
    rows = r["shares"]
    kind = "artist" if any(x["split"] == "artist" for x in rows) else "random"
    networks = list(dict.fromkeys(x["network"] for x in rows))
    out = [
        f"{r['run_label']}, {r['clips']} clips; {', '.join(networks)}; R2 on {kind} splits unless named "
        "(corrected 95 % intervals; reliability: bootstrap over songs; Holm p: the within-genre permutation "
        "test of information about mu beyond genre; R2 / reliability where R2 is positive).\n"
    ]
    for network in networks:
        by = {(x["split"], x["emotion"]): x for x in rows if x["network"] == network}
        table = []
        for e in EMOTIONS:
            x, rnd = by[(kind, e)], by.get(("random", e))
            p = x.get("within_genre_p_holm")
            table.append(
                [
                    e,
                    _share_cell(
                        x["reliability"], x["reliability_song_bootstrap_low"], x["reliability_song_bootstrap_high"]
                    ),
                    _share_cell(rnd["r2"], rnd["r2_ci_low"], rnd["r2_ci_high"]) if rnd else "",
                    _share_cell(x["r2"], x["r2_ci_low"], x["r2_ci_high"]),
                    _share_cell(x["genre_r2"]),
                    _share_cell(x["r2_gain"], x["r2_gain_ci_low"], x["r2_gain_ci_high"], signed=True),
                    "" if p is None else f"{p:.3f}",
                    _share_cell(x["r2_of_reliability"])
                    if x["r2"] > 0 and (x["reliability_song_bootstrap_low"] or 0) > 0
                    else "",
                ]
            )
        header = [
            "emotion",
            "reliability",
            "R2 random",
            f"R2 {kind}",
            "genre alone",
            "gain",
            "Holm p",
            "R2 / reliability",
        ]
        out.append(f"**{network}**\n\n" + markdown_table(header, table))
    compared = [x for x in r["comparison"] if x["r2_difference"] is not None and x["split"] == kind]
    for network in dict.fromkeys(x["network"] for x in compared):
        cells = [
            f"{x['emotion']} {_share_cell(x['r2_difference'], x['r2_difference_ci_low'], x['r2_difference_ci_high'], True)}"
            for x in compared
            if x["network"] == network
        ]
        out.append(f"{network} - {networks[0]}, R2 on {kind} splits, paired: " + "; ".join(cells) + ".\n")
    forward = r["forward_s"]
    times = ", ".join(f"`{rule}` {sec / forward:.3f}x" for rule, sec in r["rule_s"].items())
    out.append(
        f"Time of the rules, as a ratio to VGG19's fp32 forward pass over the same {r['clips']} clips "
        f"({forward:.0f} s on this machine): {times}.\n"
    )
    return "\n".join(out) + "\n" + provenance(record) + "\n"


@renderer("shares_real40")
def shares_real40() -> str:
    """The rating shares on the 40 real clips (``benchmarks/shares.py --real``)."""
    return shares_block("shares_real40")


@renderer("shares_demo")
def shares_demo() -> str:
    """The rating shares on the demo (``benchmarks/shares.py --configfile config/demo.yaml``)."""
    return shares_block("shares_demo")


# --------------------------------------------------------------------------- the archive's catalogue

CATALOGUE = ROOT / "resources" / "emotify_catalogue.csv"


def _catalogue():
    import pandas as pd

    return pd.read_csv(CATALOGUE)


@renderer("catalogue")
def catalogue() -> str:
    """Durations, artists and albums of the complete archive, from its catalogue (ID3 tags and
    MPEG header durations of the 400 tracks)."""
    c = _catalogue()
    d = c.sort_values("duration_s")
    per_genre = c["genre"].value_counts()
    short = d[d["duration_s"] < 50]
    rest = d[d["duration_s"] >= 50]["duration_s"]
    artists = c.groupby("artist").size()
    genres_per_artist = c.groupby("artist")["genre"].nunique()
    across = genres_per_artist[genres_per_artist > 1].index
    albums = c.groupby(["artist", "album"]).ngroups
    shortest = ", ".join(f"{s:.1f}" for s in short["duration_s"])
    short_genres = " and ".join(sorted(set(short["genre"])))
    return (
        f"- {len(c)} tracks, {' / '.join(str(n) for n in per_genre.sort_index())} per genre "
        f"({', '.join(sorted(per_genre.index))}).\n"
        f"- Durations: {len(short)} whole {short_genres} recordings are short ({shortest} s); the other "
        f"{len(rest)} last {rest.min():.1f}-{rest.max():.1f} s.\n"
        f"- {len(artists)} artists: {int((artists == 1).sum())} with one track, the largest with "
        f"{int(artists.max())}; {len(across)} artists appear in more than one genre "
        f"({int(c['artist'].isin(across).sum())} tracks).\n"
        f"- {albums} albums.\n\n"
        "*Computed by `docs/render.py` from `resources/emotify_catalogue.csv` (the archive's ID3 tags "
        "and MPEG header durations).*\n"
    )


def _songs_without_partner(c, unit_cols: list[str], by_albums: bool, stratum: str | None) -> int:
    """Songs whose unit (an artist's songs, or an artist's songs within a genre) is alone in its
    exchange class: no other unit of the same stratum has the same album sizes (or song count)."""
    classes: dict[tuple, list[int]] = {}
    for _, g in c.groupby(unit_cols):
        profile = tuple(sorted(g.groupby("album").size())) if by_albums else len(g)
        key = (g[stratum].iloc[0] if stratum else None, profile)
        classes.setdefault(key, []).append(len(g))
    return sum(sizes[0] for sizes in classes.values() if len(sizes) == 1)


@renderer("exchange_classes")
def exchange_classes() -> str:
    """How many songs keep their labels in every permutation (their unit has no partner)."""
    c = _catalogue()
    rows = [
        [
            "genre and emotion tests (every split kind)",
            "an artist's songs",
            f"{_songs_without_partner(c, ['artist'], True, None)} of {len(c)}",
            f"{_songs_without_partner(c, ['artist'], False, None)} of {len(c)}",
        ],
        [
            "emotion beyond genre",
            "an artist's songs within one genre",
            f"{_songs_without_partner(c, ['artist', 'genre'], True, 'genre')} of {len(c)}",
            f"{_songs_without_partner(c, ['artist', 'genre'], False, 'genre')} of {len(c)}",
        ],
    ]
    return (
        markdown_table(
            [
                "test",
                "unit",
                "songs whose unit is alone in its class",
                "the same if classes went by song count only",
            ],
            rows,
        )
        + "\n*Computed by `docs/render.py` from `resources/emotify_catalogue.csv`.*\n"
    )


# --------------------------------------------------------------------------- feature dimensions


@renderer("feature_dims")
def feature_dims() -> str:
    """VGG19's activation and feature sizes for the default image, from the extractor's own code."""
    from emotify_pipeline.features.networks.vgg19 import FC_LAYERS, LAYERS, activation_shape, feature_dim
    from emotify_pipeline.features.spectrogram import SpectrogramParams

    sp = SpectrogramParams()
    n_mels, n_frames = sp.n_mels, sp.n_frames
    groups: list[tuple[list[str], tuple[int, ...]]] = []
    for layer in [*LAYERS, *FC_LAYERS]:
        shape = activation_shape(layer, n_mels, n_frames)
        if groups and groups[-1][1] == shape and groups[-1][0][-1][:4] == layer[:4]:
            groups[-1][0].append(layer)
        else:
            groups.append(([layer], shape))
    rows = []
    for layers, shape in groups:
        name = ", ".join(f"`{x}`" for x in layers) if len(layers) <= 2 else f"`{layers[0]}` ... `{layers[-1]}`"
        dims = [feature_dim(layers[0], p, n_mels, n_frames) for p in ("flatten", "mean", "mean_std")]
        rows.append([name, " x ".join(str(s) for s in shape), *(f"{d:,}" for d in dims)])
    return (
        f"For the default image, 3 x {n_mels} x {n_frames} ({sp.duration:g} s at {sp.sample_rate} Hz, hop "
        f"{sp.hop_length}):\n\n"
        + markdown_table(
            ["`features.layer`", "activation (C x H x W)", "`flatten`", "`mean`, `max`", "`mean_std`"], rows
        )
        + "\n*Computed by `docs/render.py` with the extractor's own `activation_shape` and `feature_dim`.*\n"
    )


@renderer("musicnn_dims")
def musicnn_dims() -> str:
    """musicnn's per-patch layer sizes and the pooled feature sizes, from the port's code."""
    from emotify_pipeline.features.networks import musicnn

    rows = [[f"`{name}`", f"{dim:,}", f"{dim:,}", f"{2 * dim:,}"] for name, dim in musicnn.LAYERS.items()]
    return markdown_table(["`features.musicnn.layer`", "per 3-s patch", "`mean`, `max`", "`mean_std`"], rows)


# --------------------------------------------------------------------------- the SLURM profile


@renderer("slurm_resources")
def slurm_resources() -> str:
    """What each job asks sbatch for under profiles/slurm (its defaults merged with set-resources)."""
    import yaml

    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    defaults = {k: v for k, v in profile["default-resources"].items() if not str(k).startswith("?")}

    def gpus(value: object) -> str:
        if isinstance(value, str) and "EMOTIFY_SHARD_GPUS" in value:
            return "1 (`EMOTIFY_SHARD_GPUS=0`: none)"
        return str(value) if value else ""

    def row(name: str, res: dict) -> list[str]:
        merged = {**defaults, **res}
        return [
            name,
            str(merged.get("cpus_per_task", "")),
            f"{merged['mem_mb'] / 1000:g} GB",
            f"{merged['runtime']} min",
            gpus(merged.get("gpu")),
        ]

    rows = [row(f"`{rule}`", res) for rule, res in profile["set-resources"].items()]
    rows.append(row("every other job", {}))
    return (
        markdown_table(["job", "CPUs", "memory", "time", "GPUs"], rows)
        + "\n*Read by `docs/render.py` from `profiles/slurm/config.yaml`.*\n"
    )


# --------------------------------------------------------------------------- every message


def _placeholder(expr: ast.expr) -> str:
    """A value a message fills in, named for the reader: ``config["audio"]["duration"]`` ->
    ``<duration>``, ``len(rows)`` -> ``<number of rows>``, ``audio_root(config)`` -> ``<audio_root>``,
    ``path.name`` -> ``<name>``; anything else ``<...>``."""
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        return f"<{expr.slice.value}>"
    if isinstance(expr, ast.Call):
        func = getattr(expr.func, "id", "") or getattr(expr.func, "attr", "")
        if func == "len" and expr.args:
            return f"<number of {_placeholder(expr.args[0]).strip('<>')}>"
        if func and func not in ("str", "repr", "int", "float", "sorted", "list", "first_few", "join"):
            return f"<{func}>"
        return _placeholder(expr.args[0]) if expr.args else "<...>"
    if isinstance(expr, ast.Subscript):
        return _placeholder(expr.value)
    name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "...")
    return f"<{'...' if name.startswith('__') else name}>"


def _message_template(node: ast.expr) -> str | None:
    """An ``EmotifyError`` argument as its words and ``<value>`` placeholders (None: the message
    is built elsewhere, by a helper)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    return "".join(
        str(value.value) if isinstance(value, ast.Constant) else _placeholder(value.value) for value in node.values
    )


def error_messages() -> list[tuple[str, str, int, str | None, str]]:
    """Every ``EmotifyError`` the package raises: (module, function, line, message template --
    None where a helper builds the message --, the source of its argument)."""
    from emotify_pipeline.plumbing.provenance import PACKAGE, module_name

    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "EmotifyError" and node.args:
                    text = _message_template(node.args[0])
                    shown = " ".join(text.split()) if text is not None else None
                    found.append((module_name(path), func.name, node.lineno, shown, ast.unparse(node.args[0])))
    # a call inside a nested function is found under both; keep the innermost
    keep = {}
    for entry in found:
        keep[(entry[0], entry[2])] = entry
    return sorted(keep.values(), key=lambda e: (e[0], e[2]))


def _code_span(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


@renderer("messages")
def messages() -> str:
    """Every message the package's ``EmotifyError`` can carry, by module (read from the code)."""
    from emotify_pipeline import STAGES

    entries = error_messages()
    rows, built = [], []
    for stage in STAGES:
        for module, func, _, text, source in entries:
            if module.split(".")[0] != stage:
                continue
            if text is None:
                built.append(f"`{module}.{func}` (`{source}`)")
            else:
                rows.append([f"`{module}`", f"`{func}`", _code_span(text)])
    return (
        markdown_table(["module", "function", "message"], rows)
        + f"\n*{len(rows) + len(built)} messages, read by `docs/render.py` from the package's `EmotifyError` "
        "calls; `<...>` is a value the run fills in.*"
        + (f" Built by a helper, and quoted in the tables above: {', '.join(built)}.\n" if built else "\n")
    )


# --------------------------------------------------------------------------- the configuration

CONFIG = ROOT / "config"

#: what the docs add after a key's schema description (or say where the schema has none). A key
#: that gains a description in config/schema.yaml should lose its text here.
CONFIG_NOTES: dict[str, str] = {
    "data.download.annotations_url": "Where data.csv is fetched.",
    "data.download.annotations_sha256": "sha256 of the official data.csv, verified after download.",
    "data.download.audio_url": "Where the audio archive is fetched.",
    "audio.duration": "Shorter whole clips are zero-padded at the end (`padded_s` in tracks.csv).",
    "spectrogram.n_fft": "FFT size.",
    "spectrogram.hop_length": "Hop in samples: 60 s at 22.05 kHz gives 2,584 frames.",
    "spectrogram.fmin": "Lowest mel frequency (Hz).",
    "features.shards": "A changed clip reruns its shard only.",
    "features.device": "An execution setting: read by the job, it reruns nothing.",
    "features.batch_size": "An execution setting: a clip's features do not depend on its batch.",
    "features.num_workers": "An execution setting.",
    "features.compression": "An execution setting (same values, other bytes): applies to shards extracted from then on.",
    "features.reduce.method": "`none`; `random_projection` (streamed standardisation, then a sparse random "
    "projection: for ~10^7 dimensions); `pca` (streamed standardisation, then IncrementalPCA: moderate "
    "dimensions).",
    "features.reduce.n_components": "Dimensions after the reduction.",
    "features.reduce.seed": "Seed of the random projection.",
    "knn": "The classifiers.",
    "split": "The paper's single random split.",
    "split.test_size": "Test fraction of the paper's split and of the resampled ones.",
    "split.seed": "Seed of the paper's split (also of its PCA and inner folds).",
    "experiments": "The paper's four experiments.",
    "evaluation.confidence": "Also the level of the corrected intervals of the mean.",
    "evaluation.seed": "Also of the rater halvings, the ceiling's bootstrap and random tie-breaking. Each "
    "analysis draws its own named stream of it, so adding one changes no other number.",
    "figures": "The figures.",
    "figures.dpi": "PNG resolution.",
}

#: the "reruns" cell of the keys whose plan plumbing/reruns.py does not declare (and no test checks)
UNDECLARED_RERUNS: dict[str, str] = {
    "data.source": "everything",
    "data.root": "everything",
    "data.annotations": "everything",
    "data.audio_dir": "everything",
    "data.audio_ext": "everything",
    "data.require_all_audio": "track table onwards",
    "data.check_catalogue": "track table onwards",
    "data.on_bad_audio": "track table onwards",
    "data.duplicate_rows": "annotations onwards",
    "data.download.annotations_url": "download",
    "data.download.annotations_sha256": "download",
    "data.download.audio_url": "download",
    "data.download.audio_sha256": "download",
    "demo.n_per_genre": "everything",
    "demo.duration": "everything",
    "demo.sample_rate": "everything",
    "demo.seed": "everything",
    "demo.ratings_min": "everything",
    "demo.ratings_max": "everything",
    "demo.groups": "everything",
    "demo.artists_per_genre": "everything",
    "audio.offset": "track table (padding), features onwards",
    "audio.duration": "track table (padding), features onwards",
    "spectrogram.n_fft": "features onwards",
    "spectrogram.hop_length": "features onwards",
    "spectrogram.fmin": "features onwards",
    "spectrogram.fmax": "features onwards",
    "spectrogram.top_db": "features onwards",
    "spectrogram.colormap": "features onwards",
    "features.weights": "features onwards",
    "features.weights_file": "features onwards",
    "features.weights_sha256": "features onwards",
    "features.seed": "features onwards",
    "features.shards": "features onwards",
    "features.reduce.method": "reduction, Exp I/II onwards",
    "features.reduce.n_components": "reduction, Exp I/II onwards",
    "features.reduce.seed": "reduction, Exp I/II onwards",
    "split.stratify": "split onwards",
    "experiments.inner_folds": "splits onwards",
    "evaluation.permutation_splits": "evaluation onwards",
    "evaluation.confidence": "evaluation, ceiling, ablation, analyses",
    "evaluation.seed": "resampled splits onwards, ceiling",
    "evaluation.group_by": "evaluation, ablation",
    "evaluation.ceiling_splits": "ceiling",
    "evaluation.ceiling_bootstrap": "ceiling",
    "evaluation.ablation_repeats": "ablation",
    "evaluation.ranking_jobs": "neighbour rankings of the resampled splits, and what reads them",
}

_MISSING = object()


def _yaml(name: str) -> dict:
    import yaml

    return yaml.safe_load((CONFIG / name).read_text()) or {}


def _value(tree: dict, key: str) -> object:
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return _MISSING
        tree = tree[part]
    return tree


def _show(value: object) -> str:
    """A configuration value as YAML writes it, in backticks; a sha256 shortened."""
    if value is _MISSING:
        return ""
    if isinstance(value, dict):
        return ""
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
        return f"`{value[:12]}...`"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, list):
        text = "[" + ", ".join(str(v) for v in value) + "]"
    else:
        text = str(value)
    return f"`{text}`"


def _schema_keys(schema: dict, prefix: str = "") -> list[tuple[str, dict]]:
    out = []
    for name, sub in schema.get("properties", {}).items():
        out.append((prefix + name, sub))
        out += _schema_keys(sub, prefix + name + ".")
    return out


def _cell(text: str, keys: list[str]) -> str:
    """Schema prose as a table cell: one line, no pipes, angle brackets escaped (mkdocs would read
    ``<genre>`` as HTML), configuration keys in backticks."""
    text = " ".join(text.split()).replace("|", "/").replace("<", "&lt;").replace(">", "&gt;")
    for key in sorted((k for k in keys if "." in k), key=len, reverse=True):
        text = re.sub(rf"(?<![\w.`/]){re.escape(key)}(?![\w`]|\.\w)", f"`{key}`", text)
    return text


@renderer("config")
def config_table() -> str:
    """Every key of config/schema.yaml: its default, the values config.yaml and demo.yaml set where
    they change it, the schema's description, and what a change reruns."""
    from emotify_pipeline.plumbing.reruns import RERUNS

    schema, main, demo = _yaml("schema.yaml"), _yaml("config.yaml"), _yaml("demo.yaml")
    declared = {r.key: r.says for r in RERUNS}
    keys = _schema_keys(schema)
    names = [k for k, _ in keys]
    unknown = sorted((set(CONFIG_NOTES) | set(UNDECLARED_RERUNS) | set(declared)) - set(names))
    if unknown:
        raise KeyError(f"docs/render.py names configuration keys the schema does not have: {unknown}")
    both = sorted(set(declared) & set(UNDECLARED_RERUNS))
    if both:
        raise KeyError(f"plumbing/reruns.py now declares {both}: remove them from UNDECLARED_RERUNS")
    rows = []
    for key, sub in keys:
        leaf = sub.get("type") != "object"
        said = str(sub.get("description", "")).strip()
        said = said + "." if said and not said.endswith((".", ")")) else said
        meaning = " ".join(x for x in (said, CONFIG_NOTES.get(key, "")) if x)
        if not meaning:
            raise KeyError(f"{key}: no description in config/schema.yaml and no CONFIG_NOTES entry in docs/render.py")
        default = sub.get("default", _MISSING)
        in_main = _value(main, key)
        effective = default if in_main is _MISSING else in_main
        in_demo = _value(demo, key)
        if key in declared:
            reruns = declared[key]
        elif key in UNDECLARED_RERUNS:
            reruns = UNDECLARED_RERUNS[key] + " †"
        elif leaf:
            raise KeyError(f"{key}: say what it reruns (plumbing/reruns.py, or UNDECLARED_RERUNS in docs/render.py)")
        else:
            reruns = ""
        rows.append(
            [
                f"`{key}`",
                _show(default) if leaf else "",
                _show(in_main) if leaf and in_main is not _MISSING and in_main != default else "",
                _show(in_demo) if leaf and in_demo is not _MISSING and in_demo != effective else "",
                _cell(meaning, names),
                reruns,
            ]
        )
    return (
        markdown_table(["key", "default", "config.yaml", "demo.yaml", "meaning", "reruns"], rows)
        + "\n† Read from the rules' `params:`; no test checks this plan.\n"
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = {}
    for path in pages():
        text = path.read_text()
        if not BLOCK.search(text):
            continue
        if check:
            names = stale_blocks(path)
            if names:
                stale[str(path.relative_to(ROOT))] = names
        else:
            fresh = render_text(text, str(path.relative_to(ROOT)))
            if fresh != text:
                path.write_text(fresh)
                print(f"rendered {path.relative_to(ROOT)}")
    if stale:
        for page, names in stale.items():
            print(f"{page}: stale generated block(s) {', '.join(names)}: run python docs/render.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
