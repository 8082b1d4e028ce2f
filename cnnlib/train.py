"""Training a network: the loop that turns forward and backward passes into learning.

One *step* (반복) takes a mini-batch (미니배치), runs the network forward, measures the
cross-entropy loss (손실), runs backward to get every parameter's gradient, and lets the
optimiser move the parameters a little downhill. One *epoch* (에폭) is one pass over the
training set, in a fresh seeded random order::

    history = train(model, SGD(model, lr=0.1, momentum=0.9), x_train, y_train,
                    epochs=5, batch_size=32, seed=0, test_data=(x_test, y_test))
    history["test_accuracy"][-1]

Everything is seeded (the shuffling here, the initial weights in the layers), so running the
same code twice gives the same history. No plotting here: pass ``callback`` to watch the
run (:func:`text_progress` prints a one-line bar; a notebook can draw a live plot instead).
"""

from __future__ import annotations

import sys

import numpy as np

from ._validate import SettingError, check_array, check_int
from .data import batches
from .i18n import tr
from .loss import cross_entropy, cross_entropy_backward

__all__ = ["accuracy", "train_step", "evaluate", "train", "text_progress"]


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose highest score is the right class.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
    labels : ndarray, shape (N,), integer

    Returns
    -------
    float in [0, 1]
    """
    check_array(logits, "logits", 2, "(N, K)")
    if np.shape(labels) != logits.shape[:1]:  # (N, 1) would broadcast to (N, N)
        raise SettingError(f"labels must have shape (N,) = ({len(logits)},), one class per row "
                           f"of logits, got shape {np.shape(labels)}.")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_step(model, optimizer, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """One step of gradient descent on the mini-batch ``(x, y)``.

    forward -> loss -> backward -> ``optimizer.step()``. Returns the batch's mean loss and
    accuracy, measured before the step.
    """
    optimizer.zero_grad()
    logits = model(x)
    loss = float(cross_entropy(logits, y))
    model.backward(cross_entropy_backward(np.asarray(1.0), logits, y))
    optimizer.step()
    return loss, accuracy(logits, y)


def evaluate(model, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 500) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy on a data set, in evaluation mode.

    The model is switched to ``eval()`` (batch norm uses its running statistics) and back to
    the mode it was in.
    """
    if len(labels) == 0:
        raise SettingError(
            f"the data set is empty (images of shape {np.shape(images)}, {len(labels)} labels): "
            f"there is nothing to evaluate. Pass at least one image and its label."
        )
    if len(images) != len(labels):
        raise SettingError(
            f"images has {len(images)} samples but labels has {len(labels)}: give one label "
            f"per image."
        )
    was_training = model.training
    model.eval()
    try:
        total_loss = correct = 0.0
        for x, y in batches(images, labels, batch_size, shuffle=False):
            logits = model(x)
            total_loss += float(cross_entropy(logits, y, reduction="sum"))
            correct += accuracy(logits, y) * len(y)
    finally:
        model.train(was_training)
    return total_loss / len(labels), correct / len(labels)


def train(model, optimizer, images: np.ndarray, labels: np.ndarray, epochs: int = 1,
          batch_size: int = 32, seed: int = 0, test_data=None, callback=None) -> dict:
    """Train ``model`` with mini-batch gradient descent and record how it went.

    Parameters
    ----------
    model : cnnlib layer (e.g. ``Sequential``) returning logits of shape (N, K)
    optimizer : cnnlib.optim optimiser built on ``model``
    images : ndarray, shape (N, C, H, W)
    labels : ndarray, shape (N,), integer
    epochs : int >= 1
    batch_size : int >= 1
    seed : int
        Seeds the order of the mini-batches (a new permutation every epoch).
    test_data : (images, labels), optional
        Evaluated after every epoch.
    callback : callable ``callback(epoch, step, history)``, optional
        Called after every step; ``epoch`` counts from 0, ``step`` is the number of steps
        done so far. At an epoch's last step the per-epoch entries are already recorded.

    Returns
    -------
    history : dict of lists
        ``"loss"`` and ``"accuracy"``: one value per step (the mini-batch's, before its
        update); ``"train_loss"``, ``"train_accuracy"``: one per epoch (averaged over the
        epoch's mini-batches, weighted by their size); ``"test_loss"``, ``"test_accuracy"``:
        one per epoch when ``test_data`` is given.
    """
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    history = {key: [] for key in ("loss", "accuracy", "train_loss", "train_accuracy",
                                   "test_loss", "test_accuracy")}
    steps_per_epoch = -(-len(labels) // batch_size)
    model.train()
    for epoch in range(epochs):
        total_loss = correct = 0.0
        for i, (x, y) in enumerate(batches(images, labels, batch_size, rng=rng)):
            loss, acc = train_step(model, optimizer, x, y)
            history["loss"].append(loss)
            history["accuracy"].append(acc)
            total_loss += loss * len(y)
            correct += acc * len(y)
            if i == steps_per_epoch - 1:
                history["train_loss"].append(total_loss / len(labels))
                history["train_accuracy"].append(correct / len(labels))
                if test_data is not None:
                    test_loss, test_accuracy = evaluate(model, *test_data)
                    history["test_loss"].append(test_loss)
                    history["test_accuracy"].append(test_accuracy)
            if callback is not None:
                callback(epoch, len(history["loss"]), history)
    return history


def text_progress(total_steps: int, width: int = 30, file=None):
    """A ``train`` callback that redraws a one-line text progress bar.

    ``epoch 2  [##########----------]  40/100  loss 0.512  accuracy 0.875`` (the loss and
    accuracy of the last mini-batch); a newline after the last step.

    Parameters
    ----------
    total_steps : int
        ``epochs * ceil(N / batch_size)``.
    width : int
        Characters in the bar.
    file : text stream, optional
        Defaults to ``sys.stdout``.
    """
    total_steps = check_int(total_steps, "total_steps", 1)
    width = check_int(width, "width", 1)

    def show(epoch: int, step: int, history: dict) -> None:
        filled = width * step // total_steps
        bar = "#" * filled + "-" * (width - filled)
        line = "\r" + tr("epoch {epoch}  [{bar}]  {step}/{total}  loss {loss:.3f}  "
                         "accuracy {accuracy:.3f}", epoch=epoch + 1, bar=bar, step=step,
                         total=total_steps, loss=history["loss"][-1],
                         accuracy=history["accuracy"][-1])
        out = sys.stdout if file is None else file
        out.write(line + ("\n" if step >= total_steps else ""))
        out.flush()

    return show
