"""Reading the layers of a :mod:`cnnlib.models` network, for the explorers' presets."""

from __future__ import annotations

from ..layers import Container


def leaves(module):
    """Every layer of ``module`` that is not a container, in order (depth first)."""
    if isinstance(module, Container):
        for _, child in module.named_children():
            yield from leaves(child)
    else:
        yield module
