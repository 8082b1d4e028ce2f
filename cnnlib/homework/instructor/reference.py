"""The references of the homework, and the scores of the answers a sandbox hands back.

This is the instructor's side (``cnnlib.homework.instructor``, never in the wheel students
install). For homework 1 and 2 every student may have a *variant*: a ZFNet-like network
described by a ``spec`` (:data:`PAPER` is the paper's; :mod:`.variants` draws one per student).
:func:`zfnet` builds the reference network of a spec, :func:`table` works out its rows, and
:func:`answer_key` turns them into the fingerprints a student's notebook carries (see
:mod:`cnnlib.homework.selfcheck`): the right answers and the common mistakes, salted, hashed.

Grading judges a submission's answers with the same judgements as the student's self-checks
(:func:`cnnlib.homework.selfcheck.judge_value`, :func:`~cnnlib.homework.selfcheck.judge_model`),
given the key of the student's own variant, computed here; homework 3 calls the student's
functions on inputs drawn at grading time, and on large inputs where only a derived backward pass
finishes in time (finite differences of the forward pass would need ~10^5 forward calls).
"""

from __future__ import annotations

import numpy as np

from ...i18n import tr
from ..runner import describe_model, leaves
from ..selfcheck import (
    _MISSING_CALL,
    BY_PERSON,
    HOMEWORK,
    HW1,
    HW2,
    HW2_BUILD,
    HW3,
    LARGE_SECONDS,
    POINTS,
    ROWS,
    WRONG,
    AnswerKey,
    Feedback,
    _cases,
    _judge_function,
    _row_kind,
    canonical,
    check_params,
    check_shape,
    check_share,
    check_total,
    fingerprint,
    is_large,
    judge_model,
    layer_items,
    maximum_points,
    shape_kind,
)

__all__ = ["PAPER", "zfnet", "table", "answer_key", "grading_task", "score", "decode",
           "HOMEWORK", "POINTS", "BY_PERSON", "maximum_points", "HW1", "HW2", "HW3"]

#: ZFNet as in Zeiler & Fergus (2013, figure 3) for 3 x 224 x 224 images, without its contrast
#: normalisation; its pools round up (ceil_mode=True), which gives the paper's 55 and 13.
PAPER = {
    "input": [3, 224, 224],
    "conv1": {"filters": 96, "kernel": 7, "stride": 2, "padding": 1},
    "pool1": {"kernel": 3, "stride": 2},
    "conv2": {"filters": 256, "kernel": 5, "stride": 2, "padding": 0},
    "pool2": {"kernel": 3, "stride": 2},
    "conv3": {"filters": 384, "kernel": 3, "stride": 1, "padding": 1},
    "conv4": {"filters": 384, "kernel": 3, "stride": 1, "padding": 1},
    "conv5": {"filters": 256, "kernel": 3, "stride": 1, "padding": 1},
    "pool5": {"kernel": 3, "stride": 2},
    "fc6": {"outputs": 4096},
    "fc7": {"outputs": 4096},
    "fc8": {"outputs": 1000},
}


def zfnet(spec: dict = PAPER):
    """The reference network of ``spec`` (see :class:`cnnlib.homework.selfcheck.Network`),
    as a cnnlib Sequential: features, Flatten, classifier."""
    from ...layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential

    channels, layers = spec["input"][0], []
    for row in ROWS[:8]:
        s = spec[row]
        if row.startswith("conv"):
            layers += [Conv2d(channels, s["filters"], s["kernel"], stride=s["stride"],
                              padding=s["padding"]), ReLU()]
            channels = s["filters"]
        else:
            layers.append(MaxPool2d(s["kernel"], stride=s["stride"], ceil_mode=True))
    features = Sequential(*layers)
    width = int(np.prod(features.output_shape(tuple(spec["input"]))))
    fc6, fc7, fc8 = (spec[row]["outputs"] for row in ("fc6", "fc7", "fc8"))
    return Sequential(features, Flatten(),
                      Sequential(Dropout(0.5), Linear(width, fc6), ReLU(),
                                 Dropout(0.5), Linear(fc6, fc7), ReLU(), Linear(fc7, fc8)))


def table(spec: dict = PAPER) -> dict:
    """``{row: (layer, input_shape, output_shape, parameters)}`` of the network of ``spec``."""
    kinds = {"Conv2d": "conv", "MaxPool2d": "pool", "Flatten": "flatten", "Linear": "fc"}
    rows = iter(ROWS)
    result, shape = {}, tuple(spec["input"])
    for layer in leaves(zfnet(spec)):
        out = layer.output_shape(shape)
        if type(layer).__name__ in kinds:
            row = next(rows)
            assert _row_kind(row) == kinds[type(layer).__name__], (row, layer)
            result[row] = (layer, shape, out, layer.num_parameters)
        shape = out
    return result


def _shape_mistakes(layer, in_shape, expected) -> dict:
    """Common wrong output shapes of a row: ``{shape: mistake id}``."""
    mistakes = {(1, *expected): "batch", tuple(in_shape): "unchanged"}
    if len(expected) == 3:
        c, h, w = expected
        mistakes[(h, w, c)] = "channels-last"
    kernel = getattr(layer, "kernel_size", None)
    if kernel is not None:
        k, s, p = kernel[0], layer.stride[0], layer.padding[0]
        i = in_shape[1]
        if p:
            mistakes[(expected[0],) + ((i - k) // s + 1,) * 2] = "no-padding"
        if (i + 2 * p - k) % s:
            if getattr(layer, "ceil_mode", False):
                mistakes[(expected[0],) + ((i + 2 * p - k) // s + 1,) * 2] = "pool-floor"
            else:
                mistakes[(expected[0],) + (-(-(i + 2 * p - k) // s) + 1,) * 2] = "conv-ceil"
    return mistakes


def _params_mistakes(layer) -> dict:
    """Common wrong parameter counts of a row: ``{count: mistake id}``."""
    kind = type(layer).__name__
    if kind == "Conv2d":
        c_in, c_out, area = layer.in_channels, layer.out_channels, int(
            np.prod(layer.kernel_size))
        return {area * c_in * c_out: "filter-bias", (area + 1) * c_out: "filter-depth",
                area * c_in + 1: "one-filter"}
    if kind == "Linear":
        n_in, n_out = layer.in_features, layer.out_features
        return {n_in * n_out: "fc-bias", n_in + 1: "fc-one",
                (n_in + 1) * n_out - n_out + 1: "fc-one-bias"}
    return {}


class _KeyWriter:
    """Collects the fingerprints of an :class:`AnswerKey`."""

    def __init__(self, salt: str):
        self.salt, self.ok, self.hints = salt, {}, {}

    def add(self, item: str, kind: str, expected, mistakes: dict = ()) -> None:
        text = canonical(kind, expected) if kind != "share" else str(expected)
        self.ok[item] = fingerprint(self.salt, item, text)
        for value, mistake in dict(mistakes).items():
            wrong = canonical(kind, value) if kind != "share" else str(value)
            if wrong is not None and wrong != text:
                self.hints.setdefault(fingerprint(self.salt, item, wrong), mistake)


def answer_key(spec: dict, salt: str) -> AnswerKey:
    """The fingerprints of every answer of homework 1 and 2 for the network of ``spec``."""
    rows, writer = table(spec), _KeyWriter(salt)
    for row, (layer, in_shape, out, params) in rows.items():
        writer.add(f"{row}_shape", shape_kind(row), out, _shape_mistakes(layer, in_shape, out))
        writer.add(f"{row}_params", "count", params, _params_mistakes(layer))
    total = sum(r[3] for r in rows.values())
    conv = sum(r[3] for row, r in rows.items() if row.startswith("conv"))
    biases = sum(getattr(r[0], "out_channels", getattr(r[0], "out_features", 0))
                 for r in rows.values())
    writer.add("total_params", "count", total,
               {total - biases: "no-biases", conv: "conv-only", total - conv: "fc-only"})
    share = (total - conv) / total
    writer.add("fc_share", "share", round(share * 100), {round((1 - share) * 100): "conv-share"})
    layers = describe_model(zfnet(spec))
    for number, layer in enumerate(layers, start=1):
        for item, text in layer_items(number, layer).items():
            writer.ok[item] = fingerprint(salt, item, text)
    return AnswerKey(salt, writer.ok, writer.hints, layers=len(layers))


# --------------------------------------------------------------------------------------------
# Grading: what the sandbox must hand back, and the score of what it handed back
# --------------------------------------------------------------------------------------------

def _as_json(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def grading_task(homework: str, seed: int, spec: dict = PAPER) -> tuple[dict, object]:
    """What the sandbox must collect from a notebook, and what :func:`score` needs to judge it.

    Returns ``(task, private)``: ``task`` is sent to the sandbox's runner (names of the
    answers; for homework 3 the calls to make, on inputs drawn from ``seed``); ``private``
    stays with the grader (the answer key of ``spec``, or homework 3's cases).
    """
    if homework in (HW1, HW2):
        key = answer_key(spec, salt=f"{seed:x}")
        if homework == HW1:
            return {"values": list(HOMEWORK[HW1])}, key
        return ({"models": {"model": HW2_BUILD}, "values": ["fc_share"]},
                (key, tuple(spec["input"])))
    if homework != HW3:
        raise ValueError(f"homework must be one of {', '.join(HOMEWORK)}; got {homework!r}.")
    rng = np.random.default_rng(seed)
    cases = {exercise: _cases(exercise, rng) for exercise in HOMEWORK[HW3]}
    calls = [{"id": f"{exercise}/{number}", "function": exercise,
              "args": [_as_json(a) for a in args], "kwargs": kwargs}
             | ({"seconds": LARGE_SECONDS} if is_large(args) else {})
             for exercise, its_cases in cases.items()
             for number, (_, args, kwargs, _) in enumerate(its_cases)]
    return {"calls": calls}, cases


class Unsupported:
    """An answer the sandbox could not hand back as a number (an object of another type)."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def decode(value):
    """The answer :mod:`cnnlib.homework.runner` encoded (``{"missing": true}`` is ``...``)."""
    if isinstance(value, dict):
        if value.get("missing") is True:
            return ...
        if isinstance(value.get("number"), str) and value["number"] in ("nan", "inf", "-inf"):
            return float(value["number"])
        return Unsupported(str(value.get("object", "object"))[:60])
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def judge_described_model(record: dict, key: AnswerKey, input_shape) -> Feedback:
    """Judge a model's description from the sandbox without trusting it.

    Every layer described as one of cnnlib's (:data:`.rebuild.SETTINGS`) is built again here
    from its settings, and what is judged is the rebuilt layers' own description (settings
    and parameters counted by cnnlib), after checking that they run one after another on the
    variant's input. A layer that is not one of cnnlib's stays as described: the judgement
    names it. A description that cannot be rebuilt is wrong.
    """
    from ..runner import describe_layer
    from .rebuild import SETTINGS, RebuildError, output_shapes, rebuild_layer

    layers = record.get("layers")
    if not isinstance(layers, list) or not all(isinstance(a, dict) for a in layers):
        return judge_model(record, key)
    question, described, built = tr("your ZFNet"), [], []
    for number, layer in enumerate(layers, start=1):
        if layer.get("type") not in SETTINGS or not str(layer.get("module", "")).startswith(
                "cnnlib.layers"):
            described.append(layer)
            continue
        try:
            rebuilt = rebuild_layer(layer)
        except RebuildError as error:
            return Feedback(question, WRONG, tr(
                "Layer {number} of your model ({kind}) cannot be rebuilt from its "
                "description: {why}", number=number, kind=layer["type"], why=error))
        built.append(rebuilt)
        described.append({**describe_layer(rebuilt), "module": layer["module"]})
    if len(built) == len(layers):
        try:
            output_shapes(built, tuple(input_shape))
        except RebuildError as error:
            return Feedback(question, WRONG, tr("Your model cannot run: {why}", why=error))
    return judge_model({"layers": described}, key)


def score(homework: str, answers: dict, private) -> dict:
    """``{exercise: Feedback}`` for a notebook's answers (as the grader reads them).

    ``answers`` has ``"values"`` (name -> encoded value), ``"models"`` (name -> record) and
    ``"calls"`` (call id -> record); anything absent is "not attempted". ``private`` is what
    :func:`grading_task` returned with the task.
    """
    values, models, calls = (answers.get(k, {}) for k in ("values", "models", "calls"))

    def value(name):
        return decode(values.get(name, {"missing": True}))

    def safely(judge, *args):
        try:
            return judge(*args)
        except Exception as error:  # a hostile answer must not stop the grader
            return Feedback("", WRONG, tr("The answer could not be compared ({error_type}).",
                                            error_type=type(error).__name__))

    result = {}
    if homework == HW1:
        for row in ROWS:
            result[f"{row}_shape"] = safely(check_shape, row, value(f"{row}_shape"), private)
            result[f"{row}_params"] = safely(check_params, row, value(f"{row}_params"), private)
        result["total_params"] = safely(check_total, value("total_params"), private)
    elif homework == HW2:
        key, input_shape = private
        result["model"] = safely(judge_described_model, models.get("model", {"missing": True}),
                                 key, input_shape)
        private = key
        result["fc_share"] = safely(check_share, value("fc_share"), private)
    elif homework == HW3:
        for exercise, cases in private.items():
            outcomes = []
            for number in range(len(cases)):
                record = calls.get(f"{exercise}/{number}", _MISSING_CALL)
                outcomes.append({**record, "result": decode(record.get("result"))}
                                if "result" in record else record)
            result[exercise] = safely(_judge_function, exercise, cases, outcomes)
    return result
