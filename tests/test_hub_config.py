"""The hub configurations: limits from the one measured record, nbgitpuller links' format.

The figures are read back from the files an instructor uses (the Helm values parsed as YAML,
the ``tljh-config`` commands parsed from the README) and compared with ``hub/sizing.json``;
the links are parsed and checked against nbgitpuller's documented query parameters.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "hub"
SIZING = json.loads((HUB / "sizing.json").read_text())
LIMITS = SIZING["limits"]


def load_links():
    spec = importlib.util.spec_from_file_location("hub_links", HUB / "links.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["hub_links"] = module
    spec.loader.exec_module(module)
    return module


def test_the_limits_follow_from_the_measurements():
    measured, rules = SIZING["measured"], SIZING["rules"]
    peak = max(k["peak_mb"] for k in measured["kernels"])
    assert len(measured["kernels"]) == 13  # notebooks 00 to 12
    need = (measured["server_peak_mb"] + peak) * rules["margin"]
    assert need <= LIMITS["memory_limit_mb"] < need + rules["step_mb"]
    assert LIMITS["memory_limit_mb"] % rules["step_mb"] == 0


def test_zero_to_jupyterhub_values_use_the_measured_figures():
    config = yaml.safe_load((HUB / "z2jh" / "config.yaml").read_text())
    single = config["singleuser"]
    assert single["memory"] == {"limit": f"{LIMITS['memory_limit_mb']}M",
                                "guarantee": f"{LIMITS['memory_guarantee_mb']}M"}
    assert single["cpu"] == {"limit": LIMITS["cpu_limit"], "guarantee": LIMITS["cpu_guarantee"]}
    assert config["cull"]["enabled"] is True and config["cull"]["timeout"] > 0
    assert single["storage"]["type"] == "dynamic"  # a persistent volume per home
    assert single["extraEnv"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "nbgitpuller" in (HUB / "z2jh" / "config.yaml").read_text()


def test_tljh_commands_use_the_measured_figures():
    text = (HUB / "tljh" / "README.md").read_text()
    settings = dict(re.findall(r"^\s*sudo tljh-config set (\S+) (\S+)$", text, re.M))
    assert settings["limits.memory"] == f"{LIMITS['memory_limit_mb']}M"
    assert float(settings["limits.cpu"]) == LIMITS["cpu_limit"]
    assert settings["services.cull.enabled"] == "true"
    assert "-c requirements/ci-constraints.txt" in text and "nbgitpuller==" in text


def test_readme_sizing_table_states_the_same_figures():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Running a class on a JupyterHub", 1)[1].split("\n## ", 1)[0]
    for key in ("memory_limit_mb", "memory_guarantee_mb", "students_per_core", "students_per_gb"):
        assert re.search(rf"\b{LIMITS[key]}\b", section), key


def test_lti_page_names_every_field_an_lms_administrator_needs():
    text = (HUB / "lti.md").read_text()
    for field in ("client_id", "issuer", "jwks_endpoint", "authorize_url",
                  "/hub/lti13/oauth_callback", "/hub/lti13/oauth_login",
                  "/hub/lti13/config", "token endpoint"):
        assert field in text, field


def test_links_follow_nbgitpullers_parameters():
    links = load_links()
    url = links.link("https://hub.example.edu/", "https://git.example.edu/o/cnn-basics-student",
                     "notebooks/homework/student/hw1_zfnet_parameters.ipynb")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "hub.example.edu", "/hub/user-redirect/git-pull")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "repo": ["https://git.example.edu/o/cnn-basics-student"], "branch": ["main"],
        "targetpath": ["cnn-basics"],
        "urlpath": ["lab/tree/cnn-basics/notebooks/homework/student/hw1_zfnet_parameters.ipynb"]}


def test_links_cover_the_release_and_collect_looks_where_they_pull():
    links = load_links()
    paths = links.notebooks()
    assert "notebooks/03_padding_and_stride.ipynb" in paths
    assert "notebooks/homework/student/hw1_zfnet_parameters.ipynb" in paths
    assert not any(re.fullmatch(r"notebooks/homework/hw\d\w*\.ipynb", p) for p in paths)
    from cnnlib.homework.instructor.collect import default_path
    pulled = parse_qs(urlsplit(links.link("https://h.example", "https://g.example/r", paths[0]))
                      .query)["targetpath"][0]
    assert default_path("hw1") == f"{pulled}/notebooks/homework/student/hw1_zfnet_parameters.ipynb"


def test_no_link_until_the_hub_and_release_are_set(capsys, tmp_path):
    links = load_links()
    assert links.HUB is None and links.REPOSITORY is None
    assert links.main(["--out", str(tmp_path / "links.md")]) == 2
    assert not (tmp_path / "links.md").exists()
    assert "set HUB in hub/links.py and REPOSITORY in site/colab.py" in capsys.readouterr().err
    assert links.main(["--hub", "https://<your hub>", "--repository", "https://g.example/r"]) == 2
    assert links.main(["--hub", "https://hub.example.edu", "--repository", "https://g.example/r",
                       "--out", str(tmp_path / "links.md")]) == 0
    lines = (tmp_path / "links.md").read_text().splitlines()
    assert lines[0] == "## Open on the course hub"
    assert len([x for x in lines if x.startswith("- [")]) == len(links.notebooks())
