"""Tests of cnnlib.models: parameter counts by hand and the published totals, output shapes
by hand, and a real image through AlexNet."""


import numpy as np
import pytest

from cnnlib.layers import Conv2d, Linear, run_with_shapes
from cnnlib.models import (
    INPUT_SHAPES,
    alexnet,
    alexnet_2012,
    basic_block,
    depthwise_separable,
    inception_module,
    lenet5,
    resnet18,
    vgg16,
)
from cnnlib.summary import summary


def counts(model):
    """Parameter count of every convolution and fully connected layer, in order."""
    return [row.params for row in summary(model).rows
            if row.type in ("Conv2d", "Linear")]


# --- AlexNet, torchvision layout ---------------------------------------------------------------

def test_alexnet_per_layer_counts_by_hand_and_torchvision_total():
    expected = [
        (11 * 11 * 3 + 1) * 64,       # 23,296
        (5 * 5 * 64 + 1) * 192,       # 307,392
        (3 * 3 * 192 + 1) * 384,      # 663,936
        (3 * 3 * 384 + 1) * 256,      # 884,992
        (3 * 3 * 256 + 1) * 256,      # 590,080
        (256 * 6 * 6 + 1) * 4096,     # 37,752,832
        (4096 + 1) * 4096,            # 16,781,312
        (4096 + 1) * 1000,            # 4,097,000
    ]
    model = alexnet()
    assert counts(model) == expected
    assert sum(expected) == 61_100_840 == model.num_parameters    # torchvision's published total


def test_alexnet_output_shape_of_every_layer_by_hand():
    # (224 + 2*2 - 11) // 4 + 1 = 55; (55 - 3) // 2 + 1 = 27; (27 - 3) // 2 + 1 = 13;
    # (13 - 3) // 2 + 1 = 6; 256 * 6 * 6 = 9216.
    expected = [(64, 55, 55), (64, 27, 27), (192, 27, 27), (192, 13, 13), (384, 13, 13),
                (256, 13, 13), (256, 13, 13), (256, 6, 6), (256, 6, 6), (9216,), (4096,),
                (4096,), (1000,)]
    rows = [row for row in summary(alexnet()).rows
            if row.type in ("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d", "Flatten", "Linear")]
    assert [row.output_shape[1:] for row in rows] == expected


def test_alexnet_on_a_real_image_prints_each_layers_shape(capsys):
    cbook = pytest.importorskip("matplotlib.cbook")
    image = pytest.importorskip("matplotlib.image")
    picture = image.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    assert picture.shape == (600, 512, 3)
    crop = picture[44:44 + 512:2, 0:512:2][:224, :224]       # 224x224 by 2x subsampling
    x = (crop.astype(np.float32) / 255).transpose(2, 0, 1)[None]
    model = alexnet(rng=0).eval()
    out, shapes = run_with_shapes(model, x)
    for name, kind, shape in shapes:
        print(f"{name:<14} {kind:<18} {shape}")
    assert out.shape == (1, 1000) and np.isfinite(out).all()
    assert shapes[0] == ("features.0", "Conv2d", (1, 64, 55, 55))
    assert shapes[-1] == ("classifier.6", "Linear", (1, 1000))
    assert [shape[1:] for _, _, shape in shapes] == [
        row.output_shape[1:] for row in summary(model).rows if row.is_leaf]
    assert "features.12    MaxPool2d          (1, 256, 6, 6)" in capsys.readouterr().out


def test_alexnet_weights_are_seeded():
    a, b = alexnet(rng=5), alexnet(rng=5)
    np.testing.assert_array_equal(a["features"][0].weight, b["features"][0].weight)
    assert not np.array_equal(a["features"][0].weight, alexnet(rng=6)["features"][0].weight)


# --- AlexNet, the 2012 paper's two-GPU layout ----------------------------------------------------

def test_alexnet_2012_counts_by_hand():
    expected = [
        (11 * 11 * 3 + 1) * 96,           # conv1                34,944
        (5 * 5 * 96 // 2 + 1) * 256,      # conv2, groups=2     307,456
        (3 * 3 * 256 + 1) * 384,          # conv3, both GPUs    885,120
        (3 * 3 * 384 // 2 + 1) * 384,     # conv4, groups=2     663,936
        (3 * 3 * 384 // 2 + 1) * 256,     # conv5, groups=2     442,624
        (256 * 6 * 6 + 1) * 4096,         # fc6              37,752,832
        (4096 + 1) * 4096,                # fc7              16,781,312
        (4096 + 1) * 1000,                # fc8               4,097,000
    ]
    model = alexnet_2012()
    assert counts(model) == expected
    assert sum(expected) == 60_965_224 == model.num_parameters
    assert [model[name].groups for name in ("conv1", "conv2", "conv3", "conv4", "conv5")] == [
        1, 2, 1, 2, 2]


def test_alexnet_2012_takes_227_and_not_224():
    model = alexnet_2012()
    assert model.input_shape == (3, 227, 227)
    assert model["conv1"].output_shape((3, 227, 227)) == (96, 55, 55)   # (227 - 11) / 4 + 1
    assert model["conv1"].output_shape((3, 224, 224)) == (96, 54, 54)   # floor(54.25)
    shapes = [row.output_shape[1:] for row in summary(model).rows
              if row.type in ("Conv2d", "MaxPool2d")]
    assert shapes == [(96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13), (384, 13, 13),
                      (384, 13, 13), (256, 13, 13), (256, 6, 6)]
    # With 224 the maps shrink to 5x5 and the first fully connected layer no longer fits.
    assert "expected (9216,)" in summary(model, (3, 224, 224)).error


def test_alexnet_2012_uses_lrn_with_the_papers_constants():
    model = alexnet_2012()
    for name in ("norm1", "norm2"):
        lrn = model[name]
        assert (lrn.size, lrn.beta, lrn.k) == (5, 0.75, 2.0)
        assert lrn.alpha / lrn.size == pytest.approx(1e-4)      # the paper's alpha


def test_alexnet_2012_forward_runs_at_227():
    model = alexnet_2012(rng=0).eval()
    out = model(np.random.default_rng(1).random((1, 3, 227, 227), dtype=np.float32))
    assert out.shape == (1, 1000) and np.isfinite(out).all()


# --- the other classic networks -------------------------------------------------------------------

def test_lenet5_counts_and_shapes_by_hand():
    expected = [
        (5 * 5 * 1 + 1) * 6,              # C1       156
        (5 * 5 * 6 + 1) * 16,             # C3     2,416 (full connections)
        (5 * 5 * 16 + 1) * 120,           # C5    48,120
        (120 + 1) * 84,                   # F6    10,164
        (84 + 1) * 10,                    # out      850
    ]
    model = lenet5()
    assert counts(model) == expected and sum(expected) == 61_706 == model.num_parameters
    shapes = [row.output_shape[1:] for row in summary(model).rows
              if row.type in ("Conv2d", "AvgPool2d")]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]
    out = model(np.zeros((2, 1, 32, 32), np.float32))
    assert out.shape == (2, 10)


def test_vgg16_total_and_its_largest_layer():
    model = vgg16()
    assert model.num_parameters == 138_357_544                  # torchvision's published total
    assert model.output_shape((3, 224, 224)) == (1000,)
    assert model["classifier"][0].num_parameters == (512 * 7 * 7 + 1) * 4096   # 102,764,544
    convs = [c for c in model["features"] if isinstance(c, Conv2d)]
    assert len(convs) == 13 and sum(isinstance(x, Linear) for x in model["classifier"]) == 3


def test_inception_3a_by_hand():
    block = inception_module(192, 64, 96, 128, 16, 32, 32)
    expected = [
        (1 * 1 * 192 + 1) * 64,     # 1x1                 12,352
        (1 * 1 * 192 + 1) * 96,     # 3x3 reduce          18,528
        (3 * 3 * 96 + 1) * 128,     # 3x3                110,720
        (1 * 1 * 192 + 1) * 16,     # 5x5 reduce           3,088
        (5 * 5 * 16 + 1) * 32,      # 5x5                 12,832
        (1 * 1 * 192 + 1) * 32,     # pool projection      6,176
    ]
    assert counts_of(block, (192, 28, 28)) == expected
    assert sum(expected) == 163_696 == block.num_parameters
    assert block.output_shape((192, 28, 28)) == (64 + 128 + 32 + 32, 28, 28)
    out = block(np.zeros((1, 192, 28, 28), np.float32))
    assert out.shape == (1, 256, 28, 28)


def counts_of(model, input_shape):
    return [row.params for row in summary(model, input_shape).rows if row.type == "Conv2d"]


def test_basic_block_by_hand():
    same = basic_block(64, 64)
    assert same.num_parameters == 2 * (3 * 3 * 64 * 64 + 2 * 64)                 # 74,112
    down = basic_block(64, 128, stride=2)
    assert down.num_parameters == (3 * 3 * 64 * 128 + 2 * 128) + (3 * 3 * 128 * 128 + 2 * 128) \
        + (1 * 1 * 64 * 128 + 2 * 128)                                        # 230,144
    assert down.output_shape((64, 56, 56)) == (128, 28, 28)
    out = down(np.random.default_rng(0).random((2, 64, 8, 8), dtype=np.float32))
    assert out.shape == (2, 128, 4, 4) and (out >= 0).all()                    # ends in ReLU


def test_resnet18_total_and_stage_shapes():
    model = resnet18()
    assert model.num_parameters == 11_689_512                   # torchvision's published total
    shape = model.input_shape
    stages = []
    for name, layer in model.named_children():
        shape = layer.output_shape(shape)
        if name.startswith("layer"):
            stages.append(shape)
    assert stages == [(64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)]
    assert model.output_shape((3, 64, 64)) == (1000,)           # adaptive pooling: any size
    out = model.eval()(np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32))
    assert out.shape == (1, 1000)


def test_depthwise_separable_by_hand():
    block = depthwise_separable(32, 64, stride=2)
    depthwise, pointwise = 3 * 3 * 1 * 32, 1 * 1 * 32 * 64                    # 288 + 2,048
    assert block.num_parameters == depthwise + 2 * 32 + pointwise + 2 * 64
    full = Conv2d(32, 64, 3, bias=False).num_parameters                        # 18,432
    assert full == 3 * 3 * 32 * 64 and full > 7 * (depthwise + pointwise)
    assert block.output_shape((32, 28, 28)) == (64, 14, 14)
    assert block(np.zeros((1, 32, 8, 8), np.float32)).shape == (1, 64, 4, 4)


def test_every_model_says_which_input_it_was_defined_for():
    for make in (lenet5, alexnet, alexnet_2012, vgg16, resnet18):
        model = make()
        assert model.input_shape == INPUT_SHAPES[make.__name__]
        assert model.output_shape(model.input_shape)[-1] in (10, 1000)
