"""Classic CNNs built from :mod:`cnnlib.layers`, to count, compare and run.

Every function returns a :class:`~cnnlib.layers.Sequential` whose ``input_shape`` attribute is
the input size (channels, height, width) the network was defined for (also listed in
:data:`INPUT_SHAPES`). Weights are seeded random numbers (``rng``: an int seed or a
``numpy.random.Generator``); they are only drawn when first used, so counting parameters or
printing a :func:`cnnlib.summary.summary` of VGG-16 costs nothing.

Parameter totals (weights + biases; batch norm running statistics are buffers, not counted):

=================  ============  ==========================================
model              parameters    reference
=================  ============  ==========================================
``lenet5``         61,706        LeCun et al. 1998, full C3 connections
``alexnet_2012``   60,965,224    Krizhevsky et al. 2012, two GPU groups
``alexnet``        61,100,840    torchvision ``alexnet``
``vgg16``          138,357,544   torchvision ``vgg16``
``resnet18``       11,689,512    torchvision ``resnet18``
=================  ============  ==========================================
"""

from __future__ import annotations

from collections import OrderedDict

from .layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Concat,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    ReLU,
    Residual,
    Sequential,
    Tanh,
    as_generator,
)

__all__ = ["INPUT_SHAPES", "lenet5", "alexnet", "alexnet_2012", "vgg16", "inception_module",
           "basic_block", "resnet18", "depthwise_separable"]

#: Input shape (channels, height, width) each network was defined for.
INPUT_SHAPES = {
    "lenet5": (1, 32, 32),
    "alexnet": (3, 224, 224),
    "alexnet_2012": (3, 227, 227),
    "vgg16": (3, 224, 224),
    "resnet18": (3, 224, 224),
}


def _model(name: str, layers: OrderedDict) -> Sequential:
    model = Sequential(layers)
    model.input_shape = INPUT_SHAPES[name]
    return model


def lenet5(num_classes: int = 10, rng=None) -> Sequential:
    """LeNet-5 (LeCun et al., 1998) on 1x32x32 digits: 61,706 parameters.

    C1 conv 6@5x5 (28x28) - S2 2x2 subsampling (14x14) - C3 conv 16@5x5 (10x10) - S4 (5x5) -
    C5 conv 120@5x5 (1x1) - F6 84 - output 10, with tanh activations.

    The variant built here is the common modern simplification: C3 connects every one of its
    16 maps to all 6 maps of S2 (the paper connects each to a subset, 1,516 weights instead of
    2,416), subsampling is plain 2x2 average pooling (the paper adds a trainable coefficient
    and bias per map, 12 + 32 parameters), and the output is a fully connected layer (the
    paper uses Euclidean RBF units). Count: (25*1+1)*6 + (25*6+1)*16 + (25*16+1)*120 +
    (120+1)*84 + (84+1)*10 = 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706.
    """
    rng = as_generator(rng)
    return _model("lenet5", OrderedDict(
        c1=Conv2d(1, 6, 5, rng=rng), tanh1=Tanh(), s2=AvgPool2d(2),
        c3=Conv2d(6, 16, 5, rng=rng), tanh3=Tanh(), s4=AvgPool2d(2),
        c5=Conv2d(16, 120, 5, rng=rng), tanh5=Tanh(), flatten=Flatten(),
        f6=Linear(120, 84, rng=rng), tanh6=Tanh(),
        output=Linear(84, num_classes, rng=rng),
    ))


def alexnet(num_classes: int = 1000, rng=None) -> Sequential:
    """AlexNet as torchvision ships it (``torchvision.models.alexnet``): 61,100,840 parameters.

    Input 3x224x224. Five convolutions with 64-192-384-256-256 channels, no grouping and no
    local response normalisation (this is the "one weird trick" single-GPU variant of
    Krizhevsky 2014, not the 2012 paper's network: see :func:`alexnet_2012`). The first
    convolution pads by 2, so 224 works: (224 + 2*2 - 11) // 4 + 1 = 55.

    ``AdaptiveAvgPool2d(6)`` makes the head accept any image size; at 224x224 its input is
    already 256x6x6. Then 256*6*6 = 9216 -> 4096 -> 4096 -> ``num_classes``, with dropout
    before the first two fully connected layers. Layer names follow torchvision
    (``features.0`` ... ``classifier.6``); the flatten step, a function call in torchvision,
    is a layer here.

    Output shapes: 64x55x55, pool 64x27x27, 192x27x27, pool 192x13x13, 384x13x13, 256x13x13,
    256x13x13, pool 256x6x6, adaptive pool 256x6x6, 9216, 4096, 4096, 1000.
    """
    rng = as_generator(rng)
    features = Sequential(
        Conv2d(3, 64, 11, stride=4, padding=2, rng=rng), ReLU(), MaxPool2d(3, 2),
        Conv2d(64, 192, 5, padding=2, rng=rng), ReLU(), MaxPool2d(3, 2),
        Conv2d(192, 384, 3, padding=1, rng=rng), ReLU(),
        Conv2d(384, 256, 3, padding=1, rng=rng), ReLU(),
        Conv2d(256, 256, 3, padding=1, rng=rng), ReLU(), MaxPool2d(3, 2),
    )
    return _model("alexnet", OrderedDict(
        features=features, avgpool=AdaptiveAvgPool2d(6), flatten=Flatten(),
        classifier=Sequential(
            Dropout(rng=rng), Linear(256 * 6 * 6, 4096, rng=rng), ReLU(),
            Dropout(rng=rng), Linear(4096, 4096, rng=rng), ReLU(),
            Linear(4096, num_classes, rng=rng)),
    ))


def alexnet_2012(num_classes: int = 1000, rng=None) -> Sequential:
    """The network of the AlexNet paper (Krizhevsky, Sutskever, Hinton, NIPS 2012).

    60,965,224 parameters (the paper says "60 million").

    **224 or 227?** The paper's figure gives a 224x224x3 input and 96 kernels of 11x11 with
    stride 4 giving 55x55 maps. Without padding, (224 - 11) / 4 + 1 = 54.25 is not a whole
    number; only 227 gives (227 - 11) / 4 + 1 = 55 exactly, so this layout takes 3x227x227
    (as Caffe's reference model does). torchvision instead keeps 224 and pads by 2.

    **Two GPUs.** The network was split over two GPUs of 3 GB. Convolutions 2, 4 and 5 only see
    the maps on their own GPU: each filter has depth 48 (conv2) or 192 (conv4, conv5) instead of
    96 or 384. That is a grouped convolution with ``groups=2``, which halves those layers'
    weights. Convolution 3 and the fully connected layers connect across both GPUs.

    **Channels.** 96-256-384-384-256 (torchvision's single-GPU variant: 64-192-384-256-256).
    Local response normalisation (size 5, k 2, beta 0.75, paper alpha 1e-4) follows the ReLU
    of conv1 and conv2; overlapping 3x3 max pooling with stride 2 follows both normalisations
    and conv5. The paper's formula multiplies the sum of squares by alpha itself while
    ``LocalResponseNorm`` (like PyTorch and Caffe) uses ``alpha / size``, hence ``alpha=5e-4``
    here. Dropout (p = 0.5) acts on the outputs of the first two fully connected layers.

    Count, ((kH * kW * C_in / groups) + 1) * C_out per layer::

        conv1 (11*11*3 + 1) * 96       =     34,944
        conv2 (5*5*48 + 1) * 256       =    307,456   groups=2
        conv3 (3*3*256 + 1) * 384      =    885,120
        conv4 (3*3*192 + 1) * 384      =    663,936   groups=2
        conv5 (3*3*192 + 1) * 256      =    442,624   groups=2
        fc6   (256*6*6 + 1) * 4096     = 37,752,832
        fc7   (4096 + 1) * 4096        = 16,781,312
        fc8   (4096 + 1) * 1000        =  4,097,000
                                         60,965,224
    """
    rng = as_generator(rng)

    def lrn():
        return LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2.0)

    return _model("alexnet_2012", OrderedDict(
        conv1=Conv2d(3, 96, 11, stride=4, rng=rng), relu1=ReLU(), norm1=lrn(),
        pool1=MaxPool2d(3, 2),
        conv2=Conv2d(96, 256, 5, padding=2, groups=2, rng=rng), relu2=ReLU(), norm2=lrn(),
        pool2=MaxPool2d(3, 2),
        conv3=Conv2d(256, 384, 3, padding=1, rng=rng), relu3=ReLU(),
        conv4=Conv2d(384, 384, 3, padding=1, groups=2, rng=rng), relu4=ReLU(),
        conv5=Conv2d(384, 256, 3, padding=1, groups=2, rng=rng), relu5=ReLU(),
        pool5=MaxPool2d(3, 2), flatten=Flatten(),
        fc6=Linear(256 * 6 * 6, 4096, rng=rng), relu6=ReLU(), drop6=Dropout(rng=rng),
        fc7=Linear(4096, 4096, rng=rng), relu7=ReLU(), drop7=Dropout(rng=rng),
        fc8=Linear(4096, num_classes, rng=rng),
    ))


def vgg16(num_classes: int = 1000, rng=None) -> Sequential:
    """VGG-16 (configuration D of Simonyan & Zisserman 2014) as torchvision ships it.

    Input 3x224x224; 138,357,544 parameters. Thirteen 3x3 convolutions (padding 1, so only the
    five 2x2 max pools shrink the maps: 224 -> 112 -> 56 -> 28 -> 14 -> 7) with
    64-64 | 128-128 | 256-256-256 | 512-512-512 | 512-512-512 channels,
    ``AdaptiveAvgPool2d(7)``, then 512*7*7 = 25,088 -> 4096 -> 4096 -> ``num_classes``
    (each of the first two followed by ReLU and dropout).
    The first fully connected layer alone holds 102,764,544 of the parameters.
    """
    rng = as_generator(rng)
    layers, channels = [], 3
    for width in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                  512, 512, 512, "M"):
        if width == "M":
            layers.append(MaxPool2d(2, 2))
        else:
            layers += [Conv2d(channels, width, 3, padding=1, rng=rng), ReLU()]
            channels = width
    return _model("vgg16", OrderedDict(
        features=Sequential(*layers), avgpool=AdaptiveAvgPool2d(7), flatten=Flatten(),
        classifier=Sequential(
            Linear(512 * 7 * 7, 4096, rng=rng), ReLU(), Dropout(rng=rng),
            Linear(4096, 4096, rng=rng), ReLU(), Dropout(rng=rng),
            Linear(4096, num_classes, rng=rng)),
    ))


def inception_module(in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                     ch5x5: int, pool_proj: int, rng=None) -> Concat:
    """A GoogLeNet inception module (Szegedy et al. 2014): four branches, concatenated.

    1x1 convolution | 1x1 reduction then 3x3 | 1x1 reduction then 5x5 | 3x3 max pool (stride 1)
    then 1x1 projection, each convolution followed by ReLU. Padding keeps the height and width,
    so the output has ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` channels. The 1x1 reductions are the
    point: they cut the depth before the expensive 3x3 and 5x5 filters.

    Module 3a, ``inception_module(192, 64, 96, 128, 16, 32, 32)``, takes 192x28x28 to
    256x28x28 with 163,696 parameters. (torchvision's GoogLeNet adds batch norm and uses a 3x3
    kernel in the "5x5" branch; this follows the paper.)
    """
    rng = as_generator(rng)

    def conv(c_in, c_out, k):
        return [Conv2d(c_in, c_out, k, padding=k // 2, rng=rng), ReLU()]

    return Concat(OrderedDict(
        branch1=Sequential(*conv(in_channels, ch1x1, 1)),
        branch2=Sequential(*conv(in_channels, ch3x3red, 1), *conv(ch3x3red, ch3x3, 3)),
        branch3=Sequential(*conv(in_channels, ch5x5red, 1), *conv(ch5x5red, ch5x5, 5)),
        branch4=Sequential(MaxPool2d(3, stride=1, padding=1), *conv(in_channels, pool_proj, 1)),
    ))


def basic_block(in_channels: int, out_channels: int, stride: int = 1, rng=None) -> Sequential:
    """ResNet basic block (He et al. 2015), as torchvision's ``BasicBlock``.

    ``relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))``. The convolutions have no bias
    (the batch norm that follows has its own shift). The shortcut is the identity, or, when the
    block changes the shape (``stride != 1`` or a different channel count), a 1x1 convolution
    with that stride followed by batch norm ("downsample" in torchvision).
    """
    rng = as_generator(rng)
    body = Sequential(OrderedDict(
        conv1=Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False, rng=rng),
        bn1=BatchNorm2d(out_channels), relu=ReLU(),
        conv2=Conv2d(out_channels, out_channels, 3, padding=1, bias=False, rng=rng),
        bn2=BatchNorm2d(out_channels),
    ))
    shortcut = None
    if stride != 1 or in_channels != out_channels:
        shortcut = Sequential(Conv2d(in_channels, out_channels, 1, stride, bias=False, rng=rng),
                              BatchNorm2d(out_channels))
    return Sequential(OrderedDict(residual=Residual(body, shortcut), relu=ReLU()))


def resnet18(num_classes: int = 1000, rng=None) -> Sequential:
    """ResNet-18 as torchvision ships it: 11,689,512 parameters, input 3x224x224.

    7x7/2 convolution (64) + batch norm + ReLU + 3x3/2 max pool (224 -> 112 -> 56), then four
    stages of two basic blocks with 64, 128, 256, 512 channels (the first block of stages 2-4
    halves the size: 56 -> 28 -> 14 -> 7), global average pooling and a 512 -> classes layer.
    """
    rng = as_generator(rng)
    stages, channels = OrderedDict(), 64
    for index, width in enumerate((64, 128, 256, 512), start=1):
        stride = 1 if width == channels else 2
        stages[f"layer{index}"] = Sequential(basic_block(channels, width, stride, rng),
                                             basic_block(width, width, 1, rng))
        channels = width
    return _model("resnet18", OrderedDict(
        conv1=Conv2d(3, 64, 7, stride=2, padding=3, bias=False, rng=rng), bn1=BatchNorm2d(64),
        relu=ReLU(), maxpool=MaxPool2d(3, stride=2, padding=1), **stages,
        avgpool=AdaptiveAvgPool2d(1), flatten=Flatten(), fc=Linear(512, num_classes, rng=rng),
    ))


def depthwise_separable(in_channels: int, out_channels: int, stride: int = 1,
                        rng=None) -> Sequential:
    """MobileNet's depthwise-separable convolution (Howard et al. 2017).

    A 3x3 depthwise convolution (``groups=in_channels``: one filter per input channel, no
    mixing across channels) + batch norm + ReLU, then a 1x1 pointwise convolution that mixes
    the channels + batch norm + ReLU. Weights ``9 * C_in + C_in * C_out`` instead of a full 3x3
    convolution's ``9 * C_in * C_out`` (plus ``2 * C_in + 2 * C_out`` batch norm parameters).
    """
    rng = as_generator(rng)
    return Sequential(OrderedDict(
        depthwise=Conv2d(in_channels, in_channels, 3, stride, padding=1, groups=in_channels,
                         bias=False, rng=rng),
        bn1=BatchNorm2d(in_channels), relu1=ReLU(),
        pointwise=Conv2d(in_channels, out_channels, 1, bias=False, rng=rng),
        bn2=BatchNorm2d(out_channels), relu2=ReLU(),
    ))
