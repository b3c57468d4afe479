"""One source of truth for versions: requirements.txt. Every pin in envs/*.yaml must agree
(envs/tensorflow.yaml, the optional environment of the musicnn reference, with
requirements-tensorflow.txt)."""

import re

import pytest
import yaml
from conftest import REPO

# conda-forge package name -> the pip name used in requirements.txt
CONDA_TO_PIP = {"pysoundfile": "soundfile", "matplotlib-base": "matplotlib"}


# an environment that is not the study's -> its own requirements file
OWN_REQUIREMENTS = {"tensorflow.yaml": "requirements-tensorflow.txt"}


def requirement_pins(name: str = "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def env_pins(path) -> list[tuple[str, str]]:
    out = []
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            out += [tuple(p.split("==")) for p in dep.get("pip", [])]
        elif "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            out.append((CONDA_TO_PIP.get(name, name), version))
    return out


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "envs").glob("*.yaml")))
def test_conda_envs_pin_what_requirements_txt_pins(env: str) -> None:
    source = OWN_REQUIREMENTS.get(env, "requirements.txt")
    pins = requirement_pins(source)
    checked = 0
    for name, version in env_pins(REPO / "envs" / env):
        assert name.lower() in pins, f"envs/{env} pins {name}, which {source} does not"
        wanted = pins[name.lower()]
        # a conda pin may name a release series (scipy=1.17 covers 1.17.1)
        assert wanted == version or wanted.startswith(version + "."), f"envs/{env}: {name}={version}, {source} {wanted}"
        checked += 1
    assert checked >= 4
