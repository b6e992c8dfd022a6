"""Figure 4: a cold ``import app`` over importing the same third-party packages, and the Lambda zip's size.

The third-party modules are found by importing the app in a fresh interpreter and keeping, in import
order, every module in ``sys.modules`` that lives in site-packages: the baseline imports exactly those
(``import pynamodb`` alone would leave out ``pynamodb.models`` and botocore's client, which the app
needs). Both commands run 7 times, alternately, in fresh interpreters with the bench's environment;
the figure is the ratio of the wall-time medians; the children's CPU time (user + sys, steadier on a
busy machine) is given beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from bench.report import Figure

ROOT = Path(__file__).resolve().parent.parent
ZIP = ROOT / "build" / "package" / "deployment.zip"
RUNS = 7

_FIND = """
import sys, sysconfig, json
before = set(sys.modules)
import app
site = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
found = []
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None) or ""
    if name not in before and path.startswith(site):
        found.append(name)
print(json.dumps(found))
"""


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          text=True, check=True)


def third_party() -> list[str]:
    """Every third-party module ``import app`` loads, parents before children."""
    return json.loads(_python(_FIND).stdout)


def _seconds(code: str) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one fresh interpreter running ``code``."""
    before = os.times()
    start = time.perf_counter()
    _python(code)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def import_figure(details: list[str]) -> Figure:
    modules = third_party()
    bare_code = "\n".join(f"import {name}" for name in modules)
    ours, bare = [], []
    for _ in range(RUNS):
        ours.append(_seconds("import app"))
        bare.append(_seconds(bare_code))
    ours_s, bare_s = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in bare)
    ours_cpu, bare_cpu = statistics.median(c for _, c in ours), statistics.median(c for _, c in bare)
    empty = statistics.median(_seconds("pass")[0] for _ in range(3))
    packages = sorted({name.split(".")[0] for name in modules})
    details += [f"cold import: `import app` loads {len(modules)} third-party modules from: {', '.join(packages)}",
                f"  medians of {RUNS}: import app {ours_s * 1e3:.0f} ms wall / {ours_cpu * 1e3:.0f} ms CPU; "
                f"those modules alone {bare_s * 1e3:.0f} ms wall / {bare_cpu * 1e3:.0f} ms CPU "
                f"(CPU ratio {ours_cpu / bare_cpu:.2f}); empty interpreter {empty * 1e3:.0f} ms wall", ""]
    return Figure("cold_import_ratio", ours_s * 1e3, " ms", "baseline", bare_s * 1e3, "<= 1.15",
                  ours_s / bare_s <= 1.15)


def zip_figure(details: list[str]) -> Figure:
    requirements = ROOT / "requirements.txt"
    if not ZIP.exists() or ZIP.stat().st_mtime < requirements.stat().st_mtime:
        subprocess.run(["make", "package"], cwd=ROOT, check=True)
        how = "built now with `make package`"
    else:
        how = "reused (newer than requirements.txt)"
    size_mb = ZIP.stat().st_size / 1e6
    by_top: Counter[str] = Counter()
    with zipfile.ZipFile(ZIP) as archive:
        for info in archive.infolist():
            by_top[info.filename.split("/")[0]] += info.compress_size
    biggest = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in by_top.most_common(8))
    details += [f"lambda zip: {ZIP.relative_to(ROOT)} {how}, {size_mb:.1f} MB; largest top-level entries "
                f"(MB compressed): {biggest}", ""]
    return Figure("lambda_zip_mb", size_mb, " MB", "baseline", None, "<= 15", size_mb <= 15)
