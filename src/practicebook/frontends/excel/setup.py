"""``practicebook excel setup``: from "Python installed" to "the buttons work".

The command line reaches the Excel door only through this module (it imports no
xlwings at import time). It checks this interpreter, records it in xlwings' user
configuration (the buttons' RunPython starts it), installs xlwings' add-in only when
worksheet functions are wanted (Windows), enables RunPython on macOS, and says what
Excel itself still asks for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["EXCEL_STEPS", "PINNED_XLWINGS", "Step", "config_file", "setup"]

#: The xlwings version whose VBA module the macro workbook carries: RunPython needs the
#: same version on both sides.
PINNED_XLWINGS = "0.37.8"
#: What Excel asks for that no command can do, in the order a user meets it.
EXCEL_STEPS = (
    "Open the .xlsm. If Excel shows 'Microsoft has blocked macros' (a file that came by "
    "mail or download), close it, right-click the file, Properties, tick Unblock, OK.",
    "Press 'Enable Content' on the yellow bar when Excel offers it.",
    "For worksheet functions only (Windows): File > Options > Trust Center > Trust Center "
    "Settings > Macro Settings > tick 'Trust access to the VBA project object model', then "
    "on the xlwings tab press Import Functions.",
)


@dataclass(frozen=True)
class Step:
    """One line of the set-up report: done (or fine) or not, and what it says."""

    ok: bool
    text: str


def config_file(platform: str = sys.platform, home: Path | None = None) -> Path:
    """Where xlwings reads its user configuration on ``platform``."""
    home = home or Path.home()
    if platform.startswith("darwin"):
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return home / ".xlwings" / "xlwings.conf"


def _record_interpreter(path: Path, key: str, executable: str) -> None:
    """Set ``key`` in xlwings' config file (``"KEY","value"`` lines), keeping the rest."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    kept = [line for line in lines if not line.upper().startswith(f'"{key}"')]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*kept, f'"{key}","{executable}"']) + "\n", encoding="utf-8")


def _xlwings_version() -> str | None:
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def setup(
    *,
    functions: bool = False,
    check_only: bool = False,
    platform: str = sys.platform,
    home: Path | None = None,
    executable: str = sys.executable,
) -> list[Step]:
    """Check and configure this machine for the macro workbook; the report, in order.

    Args:
        functions: also install xlwings' add-in, which worksheet functions need
            (Windows desktop only).
        check_only: report, change nothing.
    """
    steps = [Step(sys.version_info >= (3, 11), f"Python {sys.version.split()[0]} at {executable}")]
    version = _xlwings_version()
    if version != PINNED_XLWINGS:
        found = f"xlwings {version} is installed" if version else "xlwings is not installed"
        steps.append(
            Step(
                False,
                f"{found}; the workbook needs {PINNED_XLWINGS}: "
                f'run  "{executable}" -m pip install "practicebook[excel]"',
            )
        )
        return steps
    steps.append(Step(True, f"xlwings {version}"))
    if not (platform.startswith("win") or platform.startswith("darwin")):
        steps.append(
            Step(
                False,
                "Excel's buttons run Python on Windows and macOS only; here, use xlwings Lite "
                "(docs/excel.md) or the practicebook command.",
            )
        )
        return steps
    key = "INTERPRETER_MAC" if platform.startswith("darwin") else "INTERPRETER_WIN"
    path = config_file(platform, home)
    if not check_only:
        _record_interpreter(path, key, executable)
    steps.append(Step(True, f"{key} = {executable} in {path}" + (" (not written)" * check_only)))
    if platform.startswith("darwin"):
        steps.append(_xlwings_command(["runpython", "install"], "RunPython enabled", check_only))
    if functions:
        if platform.startswith("win"):
            steps.append(_xlwings_command(["addin", "install"], "xlwings add-in", check_only))
        else:
            steps.append(Step(False, "Worksheet functions need Excel on Windows."))
    return steps


def _xlwings_command(args: list[str], what: str, check_only: bool) -> Step:
    command = [sys.executable, "-m", "xlwings", *args]
    if check_only:
        return Step(True, f"{what}: would run {' '.join(command[2:])}")
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ}, check=False
    )
    if done.returncode:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]
        return Step(False, f"{what}: xlwings {' '.join(args)} failed: {last[0]}")
    return Step(True, what)
