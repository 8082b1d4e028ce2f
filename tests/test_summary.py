"""Tests of cnnlib.summary: a hand-written table, torchinfo's published AlexNet figures, data
access, error rows, and no allocation."""

import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest

from cnnlib.layers import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from cnnlib.models import alexnet, vgg16
from cnnlib.summary import summary


def small_model():
    return Sequential(OrderedDict(
        features=Sequential(Conv2d(3, 16, 3, padding=1), BatchNorm2d(16), ReLU(), MaxPool2d(2)),
        flatten=Flatten(),
        classifier=Linear(16 * 16 * 16, 10),
    ))


# Every number below is worked out by hand for a 3x32x32 input, batch 1:
#   Conv2d   (3*3*3 + 1) * 16 = 448 params; 3*3*3 * 16 * 32*32 = 442,368 mult-adds
#   BatchNorm2d  16 + 16 = 32 params (running mean / var are buffers, not counted)
#   MaxPool2d 32 -> 16;  Flatten 16*16*16 = 4096
#   Linear   (4096 + 1) * 10 = 40,970 params; 4096 * 10 = 40,960 mult-adds
#   total params 448 + 32 + 40,970 = 41,450;  mult-adds 483,328 = 483.33 K
#   input 3*32*32 * 4 B = 12,288 B = 0.01 MB
#   forward/backward: outputs of layers with params, x2, 4 B:
#       (16*32*32 + 16*32*32 + 10) * 2 * 4 = 262,352 B = 0.26 MB
#   params 41,450 * 4 = 165,800 B = 0.17 MB;  total 440,440 B = 0.44 MB
EXPECTED = """\
===================================================================================================================
Layer (type:depth-idx)                   Output Shape              Param #                   Mult-Adds
===================================================================================================================
Sequential                               [1, 10]                   --                        --
├─Sequential: 1-1                        [1, 16, 16, 16]           --                        --
│    └─Conv2d: 2-1                       [1, 16, 32, 32]           448                       442,368
│    └─BatchNorm2d: 2-2                  [1, 16, 32, 32]           32                        --
│    └─ReLU: 2-3                         [1, 16, 32, 32]           --                        --
│    └─MaxPool2d: 2-4                    [1, 16, 16, 16]           --                        --
├─Flatten: 1-2                           [1, 4096]                 --                        --
├─Linear: 1-3                            [1, 10]                   40,970                    40,960
===================================================================================================================
Total params: 41,450
Trainable params: 41,450
Non-trainable params: 0
Total mult-adds (K): 483.33
===================================================================================================================
Input size (MB): 0.01
Forward/backward pass size (MB): 0.26
Params size (MB): 0.17
Estimated Total Size (MB): 0.44
==================================================================================================================="""  # noqa: E501


def test_text_table_of_a_small_model_matches_the_hand_written_one():
    assert str(summary(small_model(), (3, 32, 32))) == EXPECTED


def test_rows_hold_the_data():
    rows = summary(small_model(), (3, 32, 32), batch_size=2).rows
    assert [row.name for row in rows] == ["", "features", "features.0", "features.1",
                                          "features.2", "features.3", "flatten", "classifier"]
    conv = rows[2]
    assert (conv.type, conv.depth, conv.index, conv.label) == ("Conv2d", 2, 1, "Conv2d: 2-1")
    assert conv.output_shape == (2, 16, 32, 32)
    assert conv.params == 448 and conv.trainable and conv.kernel_size == (3, 3)
    assert conv.macs == 2 * 442_368                                    # the whole batch
    assert rows[1].params == 0 and not rows[1].is_leaf


def test_params_by_layer_and_frozen_layers():
    model = small_model()
    model["features"].requires_grad_(False)
    s = summary(model, (3, 32, 32))
    assert s.params_by_layer() == {"features.0": 448, "features.1": 32, "classifier": 40_970}
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (41_450, 40_970, 480)


def test_alexnet_totals_match_torchinfo():
    # The sizes torchinfo prints for torchvision's AlexNet at (1, 3, 224, 224) (its rules, by hand).
    # Forward/backward by hand: (64*55*55 + 192*27*27 + 384*13*13 + 2*256*13*13
    #   + 4096 + 4096 + 1000) * 2 * 4 B = 494,184 * 8 = 3,953,472 B.
    s = summary(alexnet(), (3, 224, 224))
    assert s.total_params == 61_100_840 and s.non_trainable_params == 0
    text = str(s)
    for line in ("Total params: 61,100,840", "Input size (MB): 0.60",
                 "Forward/backward pass size (MB): 3.95", "Params size (MB): 244.40",
                 "Estimated Total Size (MB): 248.96"):
        assert line in text
    # Weights only: torchinfo, which adds one multiply-add per bias value, shows 714.68M.
    conv = (11 * 11 * 3 * 64 * 55 * 55 + 5 * 5 * 64 * 192 * 27 * 27 + 3 * 3 * 192 * 384 * 13 * 13
            + 3 * 3 * 384 * 256 * 13 * 13 + 3 * 3 * 256 * 256 * 13 * 13)
    assert s.total_mult_adds == conv + 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert "Total mult-adds (M): 714.19" in text


def test_input_shape_defaults_to_the_models_own():
    assert summary(alexnet()).input_shape == (1, 3, 224, 224)
    with pytest.raises(ValueError, match="input_shape is needed"):
        summary(small_model())


def test_an_int_input_shape_is_explained():
    with pytest.raises(TypeError, match=r"input_shape must be a tuple of sizes .* got 4\. For one "
                                        r"axis write \(size,\)"):
        summary(Linear(4, 2), 4)
    assert summary(Linear(4, 2), (4,)).total_params == (4 + 1) * 2


def test_a_broken_model_is_summarised_up_to_the_layer_where_it_breaks():
    model = Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(4, 8, 3), ReLU(), Flatten())
    s = summary(model, (3, 10, 10))
    assert [row.name for row in s.rows] == ["", "0", "1", "2"]          # stops at the error
    assert s.rows[3].error == s.error and s.rows[3].output_shape is None
    assert s.error.startswith("layer 2 (Conv2d) of Sequential received an input of shape "
                              "(8, 8, 8) (batch axis left out), expected (4, H, W)")
    text = str(s)
    assert "│    " not in text and "├─Conv2d: 1-3                            shape error" in text
    assert f"Shape error: {s.error}" in text
    assert "Total params: 520" in text           # the rows shown: (27 + 1) * 8 + (36 + 1) * 8
    assert s.error in s._repr_html_().replace("&#x27;", "'")


def test_html_table_has_every_layer_and_the_totals():
    page = summary(small_model(), (3, 32, 32))._repr_html_()
    assert page.startswith("<table") and page.endswith("</table>")
    assert page.count("<tr>") == 1 + 8 + 8                             # header, rows, footer
    assert "Conv2d (features.0)" in page and "40,970" in page and "Total params" in page


def test_summary_allocates_no_arrays():
    model = vgg16()                                     # 138 million parameters, lazily drawn
    tracemalloc.start()
    s = summary(model, (3, 224, 224))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert s.total_params == 138_357_544
    assert peak < 2_000_000                             # bytes: the weights would be 553 MB


def test_sizes_use_the_models_itemsize():
    # float64 values take 8 bytes: the same model reports twice the megabytes of float32.
    single, double = summary(small_model(), (3, 32, 32)), summary(
        small_model().to(np.float64), (3, 32, 32))
    assert single.total_params == double.total_params
    assert single.params_size_mb == pytest.approx(single.total_params * 4 / 1e6)
    assert double.params_size_mb == pytest.approx(double.total_params * 8 / 1e6)
    assert double.input_size_mb == pytest.approx(3 * 32 * 32 * 8 / 1e6)
    assert double.forward_backward_size_mb == pytest.approx(2 * single.forward_backward_size_mb)


# --- the compact rendering for slides (issue 14) --------------------------------------------
# Oracles: the published per-layer parameter counts of torchvision's AlexNet (61,100,840 in all;
# each layer by the lecture's formula (k*k*C_in + 1) * C_out, written out here), and its output
# sizes 55 -> 27 -> 13 -> 6 worked out with o = floor((i + 2p - k) / s) + 1.
ALEXNET_LAYERS = [  # (label, output shape, params, mult-adds = weights x output positions)
    ("Conv2d: 2-1", "[1, 64, 55, 55]", (11 * 11 * 3 + 1) * 64, 11 * 11 * 3 * 64 * 55 * 55),
    ("Conv2d: 2-4", "[1, 192, 27, 27]", (5 * 5 * 64 + 1) * 192, 5 * 5 * 64 * 192 * 27 * 27),
    ("Conv2d: 2-7", "[1, 384, 13, 13]", (3 * 3 * 192 + 1) * 384, 3 * 3 * 192 * 384 * 13 * 13),
    ("Conv2d: 2-9", "[1, 256, 13, 13]", (3 * 3 * 384 + 1) * 256, 3 * 3 * 384 * 256 * 13 * 13),
    ("Conv2d: 2-11", "[1, 256, 13, 13]", (3 * 3 * 256 + 1) * 256, 3 * 3 * 256 * 256 * 13 * 13),
    ("Linear: 2-15", "[1, 4096]", (9216 + 1) * 4096, 9216 * 4096),
    ("Linear: 2-18", "[1, 4096]", (4096 + 1) * 4096, 4096 * 4096),
    ("Linear: 2-20", "[1, 1000]", (4096 + 1) * 1000, 4096 * 1000),
]


def parse_compact(text):
    """{label: (shape, params, mult-adds)} read back from the compact text, by its columns."""
    found = {}
    for line in text.splitlines():
        head, sep, rest = line.partition(": ")
        if not sep or "[" not in rest:
            continue
        label = head.lstrip("│ └├─") + ": " + rest.split()[0]
        shape = rest[rest.index("["):rest.index("]") + 1]
        params, macs = rest[rest.index("]") + 1:].split()
        found[label] = (shape, params, macs)
    return found


def unit_value(text):
    """"70.28M" -> 70.28e6: the compact mult-adds, read back independently."""
    scale = {"K": 1e3, "M": 1e6, "G": 1e9}.get(text[-1], 1)
    return float(text[:-1] if scale != 1 else text) * scale


def test_compact_alexnet_fits_a_slide_and_keeps_the_published_numbers():
    table = summary(alexnet(), (3, 224, 224))
    full, compact = str(table), table.compact()
    assert max(map(len, full.splitlines())) == 115                    # torchinfo's layout
    text = str(compact)
    assert max(map(len, text.splitlines())) <= 72
    assert text == table.to_text(72) == str(summary(alexnet(), (3, 224, 224), width=72))
    assert str(table) == full == table.to_text()                      # the full table stays
    rows = parse_compact(text)
    assert len(rows) == 1 + 13 + 1 + 1 + 1 + 7     # features + 13, avgpool, flatten, classifier + 7
    for label, shape, params, macs in ALEXNET_LAYERS:
        got_shape, got_params, got_macs = rows[label]
        assert got_shape == shape and int(got_params.replace(",", "")) == params
        assert unit_value(got_macs) == pytest.approx(macs, rel=0.005)  # two decimals shown
    assert rows["MaxPool2d: 2-13"] == ("[1, 256, 6, 6]", "--", "--")
    assert "Total params: 61,100,840" in text and "Total mult-adds (M): 714.19" in text
    assert sum(int(rows[label][1].replace(",", "")) for label, *_ in ALEXNET_LAYERS) == 61_100_840


def test_compact_html_shows_units_and_the_full_one_exact_counts():
    table = summary(alexnet(), (3, 224, 224))
    assert "70,276,800" in table._repr_html_() and "70.28M" not in table._repr_html_()
    page = table.compact()._repr_html_()
    assert "70.28M" in page and "70,276,800" not in page and "61,100,840" in page


def test_compact_drops_mult_adds_only_when_they_do_not_fit():
    table = summary(small_model(), (3, 32, 32))
    assert "Mult-Adds" in table.to_text(60) and "442.37K" in table.to_text(60)
    narrow = table.to_text(48)
    assert "Mult-Adds" not in narrow and max(map(len, narrow.splitlines())) <= 48
    assert "├─Linear: 1-3" in narrow and "40,970" in narrow


def test_compact_vgg16_and_a_broken_model_fit_72_characters():
    assert max(map(len, str(summary(vgg16(), width=72)).splitlines())) <= 72
    model = Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(4, 8, 3), ReLU(), Flatten())
    text = summary(model, (3, 10, 10)).to_text(72)
    assert max(map(len, text.splitlines())) <= 72
    assert "received an input of shape" in text and "shape error (below)" in text


def test_compact_width_is_checked():
    with pytest.raises(ValueError, match="width must be >= 40, got 10"):
        summary(small_model(), (3, 32, 32)).compact(10)
    with pytest.raises(TypeError, match="width must be a whole number"):
        summary(small_model(), (3, 32, 32), width="narrow")
