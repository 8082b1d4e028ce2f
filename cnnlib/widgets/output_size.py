"""Output-size explorer: drag input size, kernel, padding, stride, dilation; watch the output."""

from __future__ import annotations

from .._validate import SettingError
from ..viz.output_size import OutputSizeState, render_output_size
from .base import Explorer, check_in_range, checkbox, dropdown, html_view, int_slider


class OutputSizeExplorer(Explorer):
    """Sliders for :class:`~cnnlib.viz.output_size.OutputSizeState`, drawn as SVG."""

    def draw(self) -> None:
        v = self.values()
        self.padding.disabled = v["padding_mode"] != "number"
        padding = v["padding"] if v["padding_mode"] == "number" else v["padding_mode"]
        state = OutputSizeState(v["height"], v["width"], v["kernel_size"], padding,
                                v["stride"], v["dilation"], v["step"], v["transposed"])
        view = render_output_size(state)
        shape = view.output_shape
        self.fit_steps(shape and shape[0] * shape[1], self.step)
        self.rendered = view
        self.view.value = view.html


#: The largest input the sliders offer (a 64 x 64 grid is still drawn quickly, as blocks).
MAX_INPUT = 64


def output_size_explorer(height: int = 7, width: int = 7, kernel_size: int = 3, padding=0,
                         stride: int = 1, dilation: int = 1, transposed: bool = False,
                         max_size: int = 24) -> OutputSizeExplorer:
    """Explore ``o = floor((i + 2p - d(k-1) - 1)/s) + 1`` with sliders.

    ``padding`` is an int from 0 to 6 or ``"same"`` / ``"valid"``. Inputs up to ``max_size``
    cells per axis (at most ``MAX_INPUT``). An argument outside its slider's range raises a
    ``SettingError`` naming it and the range.
    """
    check_in_range(max_size, "max_size", 1, MAX_INPUT)
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise SettingError(f"padding={padding!r} is not possible here: use a whole number "
                           f"from 0 to 6, 'same' or 'valid'.")
    mode = padding if isinstance(padding, str) else "number"
    controls = {
        "height": int_slider("input height", height, 1, max_size, "height"),
        "width": int_slider("input width", width, 1, max_size, "width"),
        "kernel_size": int_slider("kernel size", kernel_size, 1, 9, "kernel_size"),
        "padding_mode": dropdown("padding", ["number", "same", "valid"], mode, "padding"),
        "padding": int_slider("padding p", 0 if isinstance(padding, str) else padding, 0, 6,
                              "padding"),
        "stride": int_slider("stride s", stride, 1, 6, "stride"),
        "dilation": int_slider("dilation d", dilation, 1, 4, "dilation"),
        "step": int_slider("output cell", 0, 0, 0),
        "transposed": checkbox("transposed view", transposed, "transposed"),
    }
    return OutputSizeExplorer(controls, html_view())
