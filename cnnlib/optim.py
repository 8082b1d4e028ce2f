"""Optimisers: how a gradient becomes a step, as ``torch.optim.SGD`` and ``torch.optim.Adam``.

An optimiser holds the parameters and changes them *in place* at each :meth:`~Optimizer.step`,
using the gradients of the last backward pass::

    optimizer = SGD(model, lr=0.1, momentum=0.9)
    for x, y in batches(...):
        optimizer.zero_grad()
        logits = model(x)
        model.backward(cross_entropy_backward(1.0, logits, y))
        optimizer.step()

``params`` is either a cnnlib layer (anything with ``parameters()`` and ``grads`` dicts, such
as a ``Sequential``: its gradients are looked up by name at every step) or a list of
``(param, grad)`` array pairs that the caller refills in place. The update formulas are
PyTorch's (its documentation states them as pseudo-code), so a run can be compared with
``torch.optim`` step by step.
"""

from __future__ import annotations

import numpy as np

from ._validate import SettingError, SettingTypeError, check_array, check_number

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: keeps the parameters and a per-parameter state (momentum, moments).

    Subclasses implement ``_update(param, grad, state)``, which changes ``param`` in place.
    """

    def __init__(self, params, weight_decay: float = 0.0):
        self.weight_decay = check_number(weight_decay, "weight_decay", 0.0)
        if hasattr(params, "parameters") and hasattr(params, "grads"):
            self.model = params
            self.pairs = None
        else:
            self.model = None
            self.pairs = [self._check_pair(i, pair) for i, pair in enumerate(params)]
            if not self.pairs:
                raise SettingError("params is empty: pass a model or a list of (param, grad) "
                                   "pairs.")
        self.state: dict = {}

    @staticmethod
    def _check_pair(i: int, pair):
        try:
            param, grad = pair
        except (TypeError, ValueError):
            raise SettingTypeError(f"params[{i}] must be a (param, grad) pair of arrays, got "
                                   f"{type(pair).__name__}.") from None
        check_array(param, f"params[{i}][0]", range(0, 8))
        check_array(grad, f"params[{i}][1]", param.ndim)
        if grad.shape != param.shape:
            raise SettingError(f"params[{i}]: the gradient has shape {grad.shape} but the "
                               f"parameter {param.shape}; they must match.")
        return param, grad

    def named_pairs(self) -> list[tuple[object, np.ndarray, np.ndarray]]:
        """``(key, param, grad)`` for every parameter that has a gradient.

        For a model the key is the parameter's name (``"0.weight"``); parameters of layers
        frozen with ``requires_grad_(False)`` are skipped. For pairs, the key is the index.
        """
        if self.model is None:
            return [(i, p, g) for i, (p, g) in enumerate(self.pairs)]
        params, grads = self.model.parameters(), self.model.grads
        frozen = _frozen_prefixes(self.model)
        return [(name, params[name], grads[name]) for name in params
                if name in grads and not name.startswith(frozen)]

    def zero_grad(self) -> None:
        """Set every gradient to zero (cnnlib's backward overwrites gradients, so this only
        matters when you add into them yourself; it keeps the PyTorch rhythm)."""
        for _, _, grad in self.named_pairs():
            grad[...] = 0

    def step(self) -> None:
        """Update every parameter in place from its current gradient."""
        for key, param, grad in self.named_pairs():
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            self._update(param, grad, self.state.setdefault(key, {}))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError


def _frozen_prefixes(model) -> tuple[str, ...]:
    """Name prefixes (``"3."``) of the children of ``model`` marked not trainable."""
    if not getattr(model, "trainable", True):
        return ("",)
    named_children = getattr(model, "named_children", None)
    if named_children is None:
        return ()
    prefixes = []
    for name, child in named_children():
        prefixes += [f"{name}.{inner}" for inner in _frozen_prefixes(child)]
    return tuple(prefixes)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay (``torch.optim.SGD``).

    With gradient ``g``, weight decay ``wd`` and momentum ``mu``::

        g = g + wd * p                  (L2 weight decay)
        b = g           at the first step,
        b = mu * b + g  afterwards      (velocity; only when mu > 0)
        p = p - lr * b

    Parameters
    ----------
    params : model or list of (param, grad)
    lr : float > 0
        Learning rate.
    momentum : float in [0, 1)
    weight_decay : float >= 0
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, weight_decay)
        self.lr = check_number(lr, "lr", 0.0, low_inclusive=False)
        self.momentum = check_number(momentum, "momentum", 0.0, 1.0, high_inclusive=False)

    def _update(self, param, grad, state):
        if self.momentum:
            if "velocity" in state:
                state["velocity"] *= self.momentum
                state["velocity"] += grad
            else:
                state["velocity"] = np.array(grad, dtype=param.dtype)
            grad = state["velocity"]
        param -= (self.lr * grad).astype(param.dtype, copy=False)

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(Optimizer):
    """Adam: momentum plus a per-parameter step size (Kingma & Ba 2015; ``torch.optim.Adam``).

    At step ``t`` (from 1), with gradient ``g``::

        g = g + wd * p
        m = beta1 * m + (1 - beta1) * g        (mean of recent gradients)
        v = beta2 * v + (1 - beta2) * g**2     (mean of recent squared gradients)
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (bias correction)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    params : model or list of (param, grad)
    lr : float > 0
    betas : (float, float), each in [0, 1)
    eps : float > 0
    weight_decay : float >= 0
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, weight_decay)
        self.lr = check_number(lr, "lr", 0.0, low_inclusive=False)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise SettingTypeError(f"betas must be a pair (beta1, beta2), got {betas!r}.")
        self.betas = (check_number(betas[0], "betas[0]", 0.0, 1.0, high_inclusive=False),
                      check_number(betas[1], "betas[1]", 0.0, 1.0, high_inclusive=False))
        self.eps = check_number(eps, "eps", 0.0, low_inclusive=False)

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state.update(t=0, m=np.zeros_like(param), v=np.zeros_like(param))
        state["t"] += 1
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1 ** state["t"])
        v_hat = state["v"] / (1 - beta2 ** state["t"])
        param -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(param.dtype, copy=False)

    def __repr__(self):
        return (f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay})")
