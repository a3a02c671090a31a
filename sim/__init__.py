"""churnsim: an agent-based simulator of customer churn in online stores, built on Mesa."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("churnsim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from sim.model import ChurnModel

__all__ = ["ChurnModel", "__version__"]


def __getattr__(name: str) -> Any:
    """Import the model lazily so ``import sim`` stays cheap for the CLI."""
    if name == "ChurnModel":
        from sim.model import ChurnModel

        return ChurnModel
    raise AttributeError(name)
