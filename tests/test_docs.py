"""Every Python example in the README and the docs runs, except those marked illustrative
(they read the user's own files or cluster); those must say so in their first line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ALL = [
    (page, i, code)
    for page in PAGES
    if "_build" not in page.parts and "_generated" not in page.parts
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
]
BLOCKS = [block for block in ALL if not block[2].startswith("# illustrative:")]


@pytest.mark.parametrize(
    ("page", "index", "code"),
    BLOCKS,
    ids=[f"{page.relative_to(ROOT)}[{i}]" for page, i, _ in BLOCKS],
)
def test_example_runs(page: Path, index: int, code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{page.name} example {index} failed:\n{done.stderr[-2000:]}"


def test_illustrative_examples_at_least_compile() -> None:
    """Examples that need the reader's own files are not run, but they must be valid Python
    (and there are only a few of them)."""
    illustrative = [block for block in ALL if block not in BLOCKS]
    for page, index, code in illustrative:
        compile(code, f"{page.name}[{index}]", "exec")
    assert len(BLOCKS) >= 8 > len(illustrative)


def test_readme_quickstart_type_checks_as_user_code(tmp_path: Path) -> None:
    """The README's quickstart, saved as a user's script, passes ``mypy --strict`` against the
    installed package (py.typed): the public signatures are usable from typed code."""
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1]
    code = re.findall(r"```python\n(.*?)```", quickstart, re.S)[0]
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
