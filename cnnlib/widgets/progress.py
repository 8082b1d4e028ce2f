"""A training progress bar that also reads where no kernel runs.

An ``ipywidgets.IntProgress`` on its own is stored in a notebook as its Python repr,
``IntProgress(value=0, description='epoch 1', max=86)``: what GitHub, nbviewer and a notebook
opened before Run All show. :class:`TrainingProgress` stores a finished bar instead: its output
carries a ``text/plain`` line and a ``text/html`` bar ("epoch 2/2, 86/86 steps"), and when the
last step is reached it updates its own output (``update_display_data``), so the saved notebook
holds the end of the run, not its start.

>>> bar = TrainingProgress(steps=86, epochs=2)
>>> bar.show()                                  # in a notebook: the live bar
>>> bar.update(epoch=1, step=86)                # train()'s callback arguments (epoch from 0)
>>> bar.summary()
'epoch 2/2, 86/86 steps'
"""

from __future__ import annotations

import numbers
from html import escape

import ipywidgets as widgets

from .._validate import SettingError, SettingTypeError
from ..i18n import tr

__all__ = ["TrainingProgress"]


class TrainingProgress(widgets.IntProgress):
    """A progress bar over all ``steps`` (mini-batches) of ``epochs`` epochs of training.

    Parameters
    ----------
    steps : int
        Mini-batches in the whole run (all epochs), at least 1: the bar's maximum.
    epochs : int
        Epochs in the run, at least 1 (shown as "epoch 1/2").

    Raises
    ------
    SettingTypeError
        If ``steps`` or ``epochs`` is not a whole number.
    SettingError
        If ``steps`` or ``epochs`` is less than 1.
    """

    def __init__(self, steps: int, epochs: int, **kwargs):
        for name, value in (("steps", steps), ("epochs", epochs)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise SettingTypeError(f"{name} must be a whole number, got {value!r} "
                                       f"({type(value).__name__}); pass the run's number of "
                                       f"{name}.")
            if value < 1:
                raise SettingError(f"{name} must be at least 1, got {value}; pass the run's "
                                   f"number of {name}.")
        self.epochs = epochs
        self.epoch = 0
        self._handle = None
        super().__init__(value=0, min=0, max=int(steps), **kwargs)
        self.description = tr("epoch {epoch}", epoch=1)

    def show(self):
        """Display the bar in the notebook (with a display id, so that it can update its
        stored form when the run ends); returns the display handle."""
        from IPython.display import display

        self._handle = display(self, display_id=True)
        return self._handle

    def update(self, epoch: int, step: int) -> None:
        """Move to ``step`` (counted over the whole run) in ``epoch`` (counted from 0), as
        :func:`cnnlib.train.train` passes them to its callback. At the last step the bar's
        output is re-sent, so that a saved notebook stores the finished bar."""
        self.epoch = epoch
        self.value = step
        self.description = tr("epoch {epoch}", epoch=epoch + 1)
        if step >= self.max and self._handle is not None:
            self._handle.update(self)

    def summary(self) -> str:
        """The bar as one line, e.g. ``"epoch 2/2, 86/86 steps"``."""
        return tr("epoch {epoch}/{epochs}, {step}/{steps} steps", epoch=self.epoch + 1,
                  epochs=self.epochs, step=self.value, steps=self.max)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        line = self.summary()
        bundle["text/plain"] = line
        bundle["text/html"] = (f'<div class="cnnlib-progress"><progress value="{self.value}" '
                               f'max="{self.max}" style="width:20em"></progress> '
                               f"{escape(line)}</div>")
        return bundle
