"""Rebuild a model from the description of its layers, with :mod:`cnnlib.layers`.

The grading sandbox hands back a *description* of the model a student's ``build_zfnet``
returns (:func:`cnnlib.homework.runner.describe_layer`: each leaf layer's type, module,
settings and number of parameters), written by a process that also runs the student's code.
The grader does not trust it: :func:`rebuild_layer` builds each layer again, here, from its
settings (known layer types only; every setting checked by the layer's own constructor), so
that the parameters are counted and the output shapes computed (:func:`output_shapes`) by
cnnlib, not read from the record. The number of parameters a record gives only tells whether
a Conv2d or Linear has a bias (a description has no ``bias`` setting unless it says so), and
must then be exactly what the rebuilt layer has.
"""

from __future__ import annotations

from ...i18n import tr

#: The layer types that can be rebuilt (those of ZFNet), with the settings their constructors
#: take; any other setting a description holds is left out.
SETTINGS = {
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
               "groups", "bias"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "ReLU": (),
    "Flatten": ("start_dim", "end_dim"),
    "Dropout": ("p",),
    "Linear": ("in_features", "out_features", "bias"),
}
#: Types whose layers draw random initial values: rebuilt with their own seed, so that
#: rebuilding never moves cnnlib's default generator (a student's notebook uses it).
_SEEDED = ("Conv2d", "Dropout", "Linear")


class RebuildError(ValueError):
    """A description that does not rebuild into a cnnlib layer (the message says why)."""


def rebuild_layer(description: dict):
    """The cnnlib layer a description describes.

    Parameters
    ----------
    description : dict
        ``{"type": "Conv2d", "settings": {...}, "parameters": 14208, ...}`` as
        :func:`cnnlib.homework.runner.describe_layer` writes it.

    Returns
    -------
    cnnlib.layers.Module
        A new layer of that type built from the settings.

    Raises
    ------
    RebuildError
        For a type not in :data:`SETTINGS`, settings its constructor refuses, or a number of
        parameters that is not what the settings give (with or without a bias).
    """
    kind = description.get("type")
    if kind not in SETTINGS:
        raise RebuildError(tr("{kind} is not a layer type the grader can rebuild",
                              kind=str(kind)[:60]))
    settings = description.get("settings", {})
    if not isinstance(settings, dict):
        raise RebuildError(tr("its settings are not a table of names and values"))
    chosen = {key: tuple(value) if isinstance(value, list) else value
              for key, value in settings.items() if key in SETTINGS[kind]}
    claimed = description.get("parameters")
    layer = _build(kind, chosen)
    if "bias" in SETTINGS[kind] and "bias" not in chosen and claimed != layer.num_parameters:
        without = _build(kind, {**chosen, "bias": False})
        if claimed == without.num_parameters:
            layer = without
    if claimed != layer.num_parameters:
        raise RebuildError(tr("the number of parameters it records is not what its settings "
                              "give"))
    return layer


def _build(kind: str, settings: dict):
    from ... import layers

    seed = {"rng": 0} if kind in _SEEDED else {}
    try:
        return getattr(layers, kind)(**settings, **seed)
    except Exception as error:  # SettingError, or a TypeError for a missing setting
        raise RebuildError(tr("its settings are refused: {error}",
                              error=str(error).split("\n")[0][:200])) from None


def output_shapes(layers: list, input_shape: tuple) -> list:
    """The output shape (one sample, no batch axis) of each layer, run one after another.

    Raises
    ------
    RebuildError
        When a layer cannot take what the layer before it gives.
    """
    shapes, shape = [], tuple(input_shape)
    for number, layer in enumerate(layers, start=1):
        try:
            shape = tuple(layer.output_shape(shape))
        except Exception:  # a ShapeError: say where, not which shape (no answer shown)
            raise RebuildError(tr("layer {number} ({kind}) cannot take what the layer before "
                                  "it gives", number=number, kind=type(layer).__name__)
                               ) from None
        shapes.append(shape)
    return shapes
