"""``make package``: the SAM template and deployment zip for one stage, built in a staging copy.

Chalice ships only ``app.py``, ``chalicelib/`` and ``vendor/``, so the built-in email templates are copied
to ``chalicelib/templates/`` in a staging directory rather than in the working tree (other builds and
editors never see a half-copied folder). The merge template and the Lambda's IAM policy are generated
from the models (``infra/resources.py``); ``.chalice/policy-<stage>.json`` is rewritten so that
``chalice deploy`` grants the same access.

Dependencies: Chalice's own cache is keyed on the app's code as well as ``requirements.txt``, so every code
change re-ran pip against PyPI (tens of seconds). Here the Lambda's site-packages are built once per
``requirements.txt`` with Chalice's own ``DependencyBuilder`` (manylinux wheels for the Lambda runtime)
into ``build/deps/<hash>/`` and handed to ``chalice package`` as ``vendor/`` with an empty requirements
file: the same files in the zip, and a rebuild after a code change takes seconds.

    python -m infra.package --stage prod --out build/package
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra import resources

ROOT = resources.ROOT
SOURCES = ("app.py",)
DEPS = ROOT / "build" / "deps"
DEFAULT_REGION = "ap-southeast-1"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "templates")


# botocore ships the models of every AWS service (16 MB of a 21 MB zip); the Lambda makes clients for these.
BOTOCORE_SERVICES = {"dynamodb", "sqs", "ses", "sts", "sso", "sso-oidc"}
PRUNE_VERSION = "botocore-services-1"


def prune_botocore(site: Path) -> None:
    """Drop the models of services the app never calls (the top-level endpoint files stay)."""
    data = site / "botocore" / "data"
    if not data.is_dir():
        return
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in BOTOCORE_SERVICES:
            shutil.rmtree(entry)


def dependencies(requirements: Path) -> Path:
    """The Lambda's site-packages for ``requirements``, built on first use and kept under build/deps/."""
    from chalice.deploy.packager import DependencyBuilder
    from chalice.utils import OSUtils

    runtime = f"cp{sys.version_info.major}{sys.version_info.minor}"  # chalice targets the local Python's runtime
    key = hashlib.sha256(requirements.read_bytes() + f"{runtime}-x86_64-{PRUNE_VERSION}".encode()).hexdigest()[:20]
    target = DEPS / key
    if target.is_dir():
        return target
    DEPS.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=DEPS))
    print(f"Building the Lambda's dependencies from {requirements.name} (once per change of it)...", flush=True)
    DependencyBuilder(OSUtils()).build_site_packages(runtime, str(requirements), str(building / "site"))
    prune_botocore(building / "site")
    try:
        (building / "site").rename(target)  # atomic: a directory under its final name is complete
    except OSError:
        if not target.is_dir():
            raise
    shutil.rmtree(building, ignore_errors=True)
    return target


def stage_project(staging: Path, stage: resources.Stage) -> Path:
    """A copy of what Chalice packages, plus the generated merge template; returns the template's path."""
    for name in SOURCES:
        shutil.copy2(ROOT / name, staging / name)
    shutil.copytree(ROOT / "chalicelib", staging / "chalicelib", ignore=IGNORE)
    shutil.copytree(ROOT / "templates", staging / "chalicelib" / "templates",
                    ignore=shutil.ignore_patterns("__pycache__"))
    chalice_dir = staging / ".chalice"
    chalice_dir.mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", chalice_dir / "config.json")
    (chalice_dir / f"policy-{stage.name}.json").write_text(resources.dump(resources.policy(stage)))
    (staging / "vendor").symlink_to(dependencies(ROOT / "requirements.txt"), target_is_directory=True)
    (staging / "requirements.txt").write_text("# installed in vendor/ by infra/package.py\n")
    merge = staging / "resources.json"
    merge.write_text(resources.dump(resources.template(stage)))
    return merge


def package(stage_name: str, out: Path, *, update_policy: bool = True) -> Path:
    """Build into ``out``; ``update_policy`` also rewrites the committed ``.chalice/policy-<stage>.json``."""
    stage = resources.load_stage(stage_name)
    out = out.resolve()
    if update_policy:
        (ROOT / ".chalice" / f"policy-{stage.name}.json").write_text(resources.dump(resources.policy(stage)))
    with tempfile.TemporaryDirectory(prefix="nhacno-package-") as tmp:
        staging = Path(tmp)
        merge = stage_project(staging, stage)
        if out.exists():
            shutil.rmtree(out)
        chalice = Path(sys.executable).with_name("chalice")
        # Chalice wants a region even to package; the template itself refers to AWS::Region.
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION}
        subprocess.run([str(chalice), "package", "--stage", stage.name, "--merge-template", str(merge), str(out)],
                       cwd=staging, env=env, check=True)
        shutil.copy2(merge, out / "resources.json")  # what was merged, for review
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--keep-policy", action="store_true",
                        help="do not rewrite .chalice/policy-<stage>.json (tests compare it instead)")
    args = parser.parse_args(argv)
    out = package(args.stage, args.out, update_policy=not args.keep_policy)
    size = (out / "deployment.zip").stat().st_size / 1e6
    print(f"Packaged stage {args.stage} into {out}: sam.json, deployment.zip ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
