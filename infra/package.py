"""``make package``: the SAM template and deployment zip for one stage, built in a staging copy.

Chalice ships only ``app.py``, ``chalicelib/`` and ``vendor/``, so the built-in email templates are copied
to ``chalicelib/templates/`` in a staging directory rather than in the working tree (other builds and
editors never see a half-copied folder). The merge template and the Lambda's IAM policy are generated
from the models (``infra/resources.py``); ``.chalice/policy-<stage>.json`` is rewritten so that
``chalice deploy`` grants the same access. Chalice's cache of built dependencies
(``.chalice/deployments``) is shared with the working tree, so only the first build downloads wheels.

    python -m infra.package --stage prod --out build/package
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra import resources

ROOT = resources.ROOT
SOURCES = ("app.py", "requirements.txt")
DEFAULT_REGION = "ap-southeast-1"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "templates")


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
    policy = resources.dump(resources.policy(stage))
    (ROOT / ".chalice" / f"policy-{stage.name}.json").write_text(policy)
    (chalice_dir / f"policy-{stage.name}.json").write_text(policy)
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (chalice_dir / "deployments").symlink_to(cache, target_is_directory=True)
    merge = staging / "resources.json"
    merge.write_text(resources.dump(resources.template(stage)))
    return merge


def package(stage_name: str, out: Path) -> Path:
    stage = resources.load_stage(stage_name)
    out = out.resolve()
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
    args = parser.parse_args(argv)
    out = package(args.stage, args.out)
    size = (out / "deployment.zip").stat().st_size / 1e6
    print(f"Packaged stage {args.stage} into {out}: sam.json, deployment.zip ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
