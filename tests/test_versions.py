"""Every version in the synthesized JSON comes from the one place that pins it."""

from __future__ import annotations

import json
import re
import tomllib

from constructs_lib import versions
from constructs_lib.paths import PROJECT_ROOT
from tests.conftest import Synthesized

PINNED_PROVIDERS = {
    "kind": versions.KIND_PROVIDER_VERSION,
    "kubernetes": versions.KUBERNETES_PROVIDER_VERSION,
    "helm": versions.HELM_PROVIDER_VERSION,
    "local": versions.LOCAL_PROVIDER_VERSION,
    "random": versions.RANDOM_PROVIDER_VERSION,
    "time": versions.TIME_PROVIDER_VERSION,
}


def test_providers_are_pinned_exactly_to_the_versions_module(synthesized: Synthesized) -> None:
    seen: dict[str, str] = {}
    for stack in synthesized.values():
        for name, requirement in stack["terraform"]["required_providers"].items():
            seen[name] = requirement["version"]
    assert seen == PINNED_PROVIDERS


def test_every_helm_chart_is_pinned_by_the_versions_module(synthesized: Synthesized) -> None:
    pinned = {
        ("vcluster", versions.VCLUSTER_CHART_VERSION),
        ("cloudnative-pg", versions.CNPG_OPERATOR_CHART_VERSION),
        ("cluster", versions.CNPG_CLUSTER_CHART_VERSION),
        ("valkey", versions.VALKEY_CHART_VERSION),
    }
    used = {
        (release["chart"], release["version"])
        for stack in synthesized.values()
        for release in stack.get("resource", {}).get("helm_release", {}).values()
    }
    assert used == pinned


def test_no_image_floats(synthesized: Synthesized) -> None:
    text = json.dumps(synthesized)
    images = set(re.findall(r'"image": "([^"]+)"', text))
    assert images == {versions.APP_IMAGE}
    assert not any(i.endswith(":latest") for i in images)


def test_python_dependencies_are_pinned_exactly() -> None:
    pipfile = tomllib.loads((PROJECT_ROOT / "Pipfile").read_text())
    for group in ("packages", "dev-packages"):
        for name, spec in pipfile[group].items():
            assert isinstance(spec, str) and spec.startswith("=="), f"{name} is not pinned: {spec}"


def test_cdktf_cli_and_opentofu_are_pinned() -> None:
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    assert package["devDependencies"] == {"cdktf-cli": "0.21.0"}
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"
    assert (PROJECT_ROOT / ".tenv.tofu.version").read_text().strip() == "1.8.8"


def test_cdktf_json_needs_nothing_downloaded_by_cdktf_get() -> None:
    config = json.loads((PROJECT_ROOT / "cdktf.json").read_text())
    assert config["language"] == "python"
    assert config["app"] == "pipenv run python -O main.py"
    assert config["terraformProviders"] == [] and config["terraformModules"] == []


def test_the_operator_still_backs_up_in_tree() -> None:
    """Operator chart 0.29.0 runs CloudNativePG 1.30.0, the last to run `barmanObjectStore`
    (its release notes: removed in 1.31.0), which our backups use (README.md, "Backups and
    restores"): bumping the operator needs the backups moved to the Barman Cloud plugin first."""
    assert versions.CNPG_OPERATOR_CHART_VERSION == "0.29.0", (
        "move the backups to the Barman Cloud plugin before bumping the CloudNativePG operator"
    )


def test_the_postgres_image_is_pinned_by_digest(synthesized: Synthesized) -> None:
    text = json.dumps(synthesized)
    assert f"imageName: {versions.POSTGRES_IMAGES[17]}" in text
    assert "postgresql:17\\n" not in text
