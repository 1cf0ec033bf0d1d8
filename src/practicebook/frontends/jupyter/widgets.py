"""Access to ipywidgets for every part of the dashboard, and the CSS hooks browser tests use.

ipywidgets is imported on the first call of ``widgets()``, that is when a dashboard is
built, so the rest of the package imports without the ``jupyter`` extra.
"""

from __future__ import annotations

from typing import Any

from practicebook.errors import MissingDependency


def widgets() -> Any:
    """ipywidgets, or an install hint when the ``jupyter`` extra is missing."""
    try:
        import ipywidgets
    except ImportError:
        raise MissingDependency("ipywidgets", "jupyter") from None
    return ipywidgets


def hook(widget: Any, name: str) -> Any:
    """``widget`` with the stable CSS class ``pb-<name>`` that browser tests find it by."""
    widget.add_class(f"pb-{name}")
    return widget


def set_options(dropdown: Any, options: list[str], fallback: str) -> None:
    """Give ``dropdown`` new options, keeping its choice while it is still one of them."""
    keep = dropdown.value
    dropdown.options = options
    dropdown.value = keep if keep in options else fallback
