"""The course's "Check yourself" exercises, known by their id (``ex-09-3``: notebook 09, no. 3).

An exercise cell of the course holds only the question and the blank::

    answer = ...
    check_exercise("ex-05-3", answer)

The expected value, the hint and the common mistakes live here, out of the student's sight in
the notebook (a checker never shows the expected answer: see :mod:`cnnlib.checks.core`).
"""

from __future__ import annotations

import numpy as np

from .. import shapes
from ..i18n import tr
from .core import Feedback, check_choice, check_value, conv_params, output_size, receptive_field

__all__ = ["EXERCISES", "check_exercise"]

W = shapes.Window
# Exercise 02.1's window and kernel (the cell shows the same two arrays).
_WINDOW = np.array([[1., 0., 2.], [3., 1., 0.], [0., 2., 1.]])
_KERNEL = np.array([[1., 2., 3.], [-4., 7., 4.], [2., -5., 1.]])


def _value(question, expected, hint, *, mistakes=None, **options):
    """An exercise checked by :func:`check_value` against ``expected``.

    The texts are English here and translated when an answer is checked
    (``cnnlib.set_language``); ``tests/test_i18n.py`` finds them in these calls.
    """
    def check(answer):
        translated = {wrong: tr(why) for wrong, why in (mistakes or {}).items()}
        return check_value(tr(question), answer, expected, tr(hint), mistakes=translated,
                           **options)
    return check


def _choice(question, correct, explanation, misconceptions):
    """A *why* exercise checked by :func:`check_choice`: the options stand in the notebook's
    markdown (lettered a, b, c, ...); here only the right letter, why it is right, and for each
    wrong letter the misconception it reveals (English, translated when checked)."""
    def check(answer):
        return check_choice(tr(question), answer, correct, tr(explanation),
                            {letter: tr(why) for letter, why in misconceptions.items()})
    return check


#: Exercise id -> its checker ``f(answer) -> Feedback``.
EXERCISES = {
    # 01 images as tensors
    "ex-01-1": _value(
        "numbers in a 32 x 32 RGB image", np.zeros((3, 32, 32)).size,
        "A colour image stacks three matrices (R, G, B), each height x width.",
        mistakes={32 * 32: "That is a single channel: count the R, G and B matrices."}),
    "ex-01-2": _value(
        "NCHW shape of 8 RGB photos of 600 x 512", (8, 3, 600, 512),
        "N is the batch, C the channels, then height and width.",
        mistakes={(8, 600, 512, 3): "That is NHWC (channels last), the layout of matplotlib "
                                    "and Keras.",
                  (8, 3, 512, 600): "Height (rows) comes before width (columns): the photo is "
                                    "600 tall."}),
    "ex-01-3": _value(
        "distance after flattening between vertical neighbours in a 28 x 28 image",
        np.ravel_multi_index((1, 0), (28, 28)),
        "Flattening lays the rows end to end: what lies between a pixel and the one below it?",
        mistakes={1: "1 apart is the neighbour to the right; the one below is a whole row "
                     "away."}),
    "ex-01-4": _value(
        "parameters of an FC layer, full-HD RGB -> 1000 neurons",
        shapes.linear_params(3 * 1920 * 1080, 1000),
        "Each neuron has one weight per input number plus one bias.",
        mistakes={3 * 1920 * 1080 * 1000: "Each of the 1000 neurons also has one bias.",
                  1920 * 1080 * 1000 + 1000: "A colour image has 3 numbers per pixel."}),
    "ex-01-5": _choice(
        "why an FC layer cannot tell a picture from its shuffled pixels", "c",
        "Right: w . x adds weight x input over all inputs, and a sum does not care in which order "
        "its terms come. Shuffle the inputs and the weights the same way and every product is "
        "still there. A convolution, by contrast, is built on which pixels are neighbours.",
        {"a": "Flattening changes no value: the same 784 numbers go in, only their arrangement in "
              "rows is lost. The outputs were identical, so nothing the layer uses was lost.",
         "b": "Training changes the values of the weights, not what the layer computes: a trained "
              "layer, with its weights shuffled in the same way, gives identical outputs too. It "
              "learns one weight per position, and is never told which positions touch.",
         "d": "Size has nothing to do with it: on any image, a sum of weight x input gives the "
              "same total when inputs and weights are shuffled together. A larger image only means "
              "more weights."}),
    # 02 convolution
    "ex-02-1": _value(
        "one output of the lecture's kernel", np.sum(_WINDOW * _KERNEL),
        "Multiply the numbers that lie on top of each other and add all nine products.",
        mistakes={np.sum(_WINDOW * _KERNEL[::-1, ::-1]):
                  "You flipped the kernel: that is the mathematical convolution. CNN layers do "
                  "not flip."}),
    "ex-02-2": _value(
        "output shape of 10 filters 5x5 on 4 x 3 x 32 x 32",
        (4, 10) + shapes.conv_output_shape((32, 32), 5),
        "N stays, the channels become the number of filters, and without padding a 5-wide "
        "kernel fits in fewer positions than 32.",
        mistakes={(4, 3, 28, 28): "Each filter makes one feature map: the output has as many "
                                  "channels as filters.",
                  (4, 10, 32, 32): "Without padding the kernel cannot be centred on the border "
                                   "pixels: the map shrinks.",
                  (4, 30, 28, 28): "A filter covers all 3 input channels at once and gives ONE "
                                   "map."}),
    "ex-02-3": lambda a: conv_params(a, in_channels=3, out_channels=6, kernel_size=5),
    "ex-02-4": _choice(
        "why one filter gives one feature map on an RGB image", "a",
        "Right: w . x + b over a 3 x 5 x 5 block is one number, so one filter gives one map "
        "whatever the depth of its input. The number of filters, not of input channels, sets the "
        "depth of the output.",
        {"b": "Nothing is averaged: the filter has its own 5 x 5 slice of weights for each "
              "channel, so the three colours can count differently (a grayscale version would "
              "treat them alike). The products of all three slices go into one sum.",
         "c": "The filter is as deep as its input, 3: all three channels are used. A filter of "
              "depth 1 on an RGB image is refused with a channel mismatch.",
         "d": "Nothing is kept or dropped: the products of the three channels are added into one "
              "sum, not compared. Keeping the largest value is what max pooling does, within one "
              "channel (notebook 05)."}),
    # 03 padding and stride
    "ex-03-1": lambda a: output_size(a, input_size=32, kernel_size=5, stride=1, padding=2),
    "ex-03-2": lambda a: output_size(a, input_size=227, kernel_size=11, stride=4, padding=0),
    "ex-03-3": lambda a: output_size(a, input_size=7, kernel_size=3, stride=3),
    "ex-03-4": _value(
        "'same' padding for a 7 x 7 kernel", shapes.resolve_padding("same", 7)[0],
        "Set w_out = w_in in w_out = w_in - k + 1 + 2p and solve for p.",
        mistakes={6: "6 is the total over both sides; padding is given per side.",
                  7: "The kernel's own centre pixel needs no padding: p = (k - 1) / 2."}),
    "ex-03-5": _choice(
        "why a 7-wide input with a 3-wide kernel and stride 3 loses its last column", "d",
        "Right: windows start at 0, 3, 6, ... only while a whole window still fits, and a start at "
        "6 would need columns 6 to 8. The formula's 2.33 says the same: a third window would be "
        "only one third inside. Libraries round down, so column 6 is never read.",
        {"a": "Without padding the border pixels are still used, only in fewer windows (a corner "
              "pixel is in one window, section 2). Here the last column is in no window at all, "
              "because of the stride.",
         "c": "The stride is the step from one window's start to the next; each window still reads "
              "all 3 columns under it, so columns 0 to 5 all count. Only the column that no full "
              "window reaches is lost.",
         "b": "Nothing is done to keep the output square: height and width are counted "
              "separately, floor((7 - 3) / 3) + 1 = 2 each, and a 7 x 9 input would give 2 x 3."}),
    # 04 receptive fields
    "ex-04-1": lambda a: receptive_field(a, [W(3), W(3), W(3)]),
    "ex-04-2": lambda a: receptive_field(a, [W(3, stride=2), W(3)]),
    "ex-04-3": lambda a: receptive_field(a, [W(11, stride=4), W(3, stride=2)]),
    "ex-04-4": _value(
        "parameters of two 3x3 conv layers, 64 -> 64 -> 64", 2 * shapes.conv_params(64, 64, 3),
        "One layer has (3 x 3 x 64 + 1) x 64 parameters; there are two layers.",
        mistakes={shapes.conv_params(64, 64, 3): "That is one layer; the stack has two.",
                  2 * shapes.conv_params(64, 64, 3, bias=False):
                      "Each layer also has one bias per filter.",
                  shapes.conv_params(64, 64, 5): "That is the single 5x5 layer the stack "
                                                 "replaces."}),
    "ex-04-5": _choice(
        "why two 3x3 layers instead of one 5x5", "b",
        "Same 5x5 field, 18 C^2 instead of 25 C^2 weights, and a second activation function "
        "between the layers.",
        {"a": "The field does not grow: two 3x3 layers see exactly 5x5 pixels, like one 5x5 "
              "layer. The gain lies elsewhere.",
         "c": "Count again: 2 x 9 C^2 = 18 C^2 is less than 25 C^2. The stack is cheaper, not "
              "bigger.",
         "d": "Only without an activation in between do two 3x3 layers collapse into one 5x5 "
              "convolution; with a ReLU between them the stack computes something no 5x5 layer "
              "can."}),
    # 05 pooling
    "ex-05-1": _value(
        "output shape of 2x2/2 max pooling on (8, 64, 224, 224)",
        (8, 64) + shapes.pool_output_shape((224, 224), 2, 2),
        "Pooling works on each channel on its own, and a 2x2 window with stride 2 halves H "
        "and W.",
        mistakes={(8, 32, 112, 112): "Pooling does not change the number of channels.",
                  (8, 64, 223, 223): "The stride of a pooling layer is 2 here, not 1.",
                  (4, 64, 112, 112): "Each image in the batch is pooled separately; N stays "
                                     "the same."}),
    "ex-05-2": _value(
        "parameters of a 3x3 max-pooling layer on 96 channels", 0,
        "What would the layer learn? The maximum of a window is a fixed rule.",
        mistakes={9: "A pooling window holds no weights: it only reads the input.",
                  864: "A pooling window holds no weights, whatever the number of channels.",
                  10: "There is no weight and no bias in a pooling layer."}),
    "ex-05-3": _value(
        "output size of 3x3/2 max pooling on 27x27", shapes.pool_output_size(27, 3, 2),
        "Use o = floor((i + 2p - k) / s) + 1 with i = 27, k = 3, s = 2, p = 0.",
        mistakes={9: "The stride is 2, not 3: the windows overlap.",
                  12: "The +1 counts the first window: floor(24 / 2) + 1.",
                  14: "(27 - 3) / 2 = 12 exactly, then + 1."}),
    "ex-05-4": _value(
        "output size of 2x2/2 max pooling on 7x7 with ceil_mode",
        shapes.pool_output_size(7, 2, 2, ceil_mode=True),
        "With ceil_mode the division (7 - 2) / 2 is rounded up before adding 1.",
        mistakes={3: "That is the default (floor) mode; ceil_mode rounds up.",
                  3.5: "Sizes are whole numbers: ceil_mode rounds (7 - 2) / 2 up."}),
    "ex-05-5": _choice(
        "why max pooling is only approximately shift-invariant", "c",
        "The window boundaries are fixed: inside a window the maximum does not care where the "
        "feature is, across a boundary it does.",
        {"a": "A stride-1 convolution is shift-equivariant: its output moves exactly with the "
              "input. What is lost is lost in the pooling itself.",
         "b": "This invariance is not learned: it comes from the fixed maximum over a window, "
              "and parameters would not move the window boundaries.",
         "d": "The test uses exact zeros and ones: a changed map has the pixel in another window, "
              "not a rounding error."}),
    # 06 activations and initialisation
    "ex-06-1": _value(
        "a in y = h(h(h(x))) = a x with h(x) = 2x", 2 ** 3,
        "Apply h three times: each application multiplies by c = 2.",
        mistakes={6: "Composing multiplies the factors (c * c * c); it does not add them (3c).",
                  2: "h is applied three times, once per layer."}),
    "ex-06-2": _value(
        "largest gradient factor through 5 sigmoids", 0.25**5,
        "The sigmoid's slope is at most 0.25, and the chain rule multiplies the slopes of the "
        "layers.", rtol=0.03,  # accepts the answer box's 0.00098 (two significant figures)
        mistakes={1.25: "The chain rule multiplies slopes layer by layer; it does not add them.",
                  0.25: "That is the factor for one layer; there are 5.",
                  1.0: "1 is ReLU's slope for positive inputs; the sigmoid's is at most 0.25."}),
    "ex-06-3": _value(
        "He standard deviation for a 3x3 convolution over 64 channels", np.sqrt(2 / (3 * 3 * 64)),
        "fan_in counts the inputs one output sees (all channels of the window); He's variance is "
        "2 / fan_in, and the standard deviation is its square root.", rtol=0.01,
        mistakes={2 / 576: "That is the variance 2 / fan_in; the standard deviation is its "
                           "square root.",
                  np.sqrt(2 / 64): "One output sees the whole 3x3 window in every channel: "
                                   "fan_in = 3 x 3 x 64, not 64.",
                  np.sqrt(2 / 9): "One output sees the 3x3 window in all 64 channels: "
                                  "fan_in = 3 x 3 x 64, not 9.",
                  np.sqrt(1 / 576): "1 / fan_in is Xavier's variance; ReLU halves the signal, so "
                                    "He doubles it."}),
    "ex-06-4": _choice(
        "why a deep sigmoid network learns slowly at first", "a",
        "Right: the chain rule multiplies one slope per layer, at most 0.25 and less where the "
        "sigmoid saturates, and weights of a steady scale do not make up for it.",
        {"b": "ReLU is non-linear too and passes gradients unchanged for positive inputs: what "
              "matters is the size of the slope, not whether the function is linear.",
         "c": "Outputs that are not centred on zero can slow learning somewhat, but they do not "
              "shrink the gradient at every layer: tanh is centred and still loses gradient where "
              "it saturates, and the sigmoid's slope of at most 0.25 remains.",
         "d": "Xavier's scale keeps the size of the forward signal steady (the sigmoid stack's "
              "output does not vanish); the gradient still shrinks because of the slopes."}),
    # 07 batch norm and dropout
    "ex-07-1": _value(
        "learnable parameters of batch norm over 64 channels", 2 * 64,
        "Batch norm learns one scale and one shift per channel.",
        mistakes={256: "The running mean and variance are statistics, not learned by "
                       "gradients: they are buffers.",
                  64: "Each channel has two learnable numbers, gamma and beta.",
                  2: "gamma and beta are per channel, not one for the whole layer."}),
    "ex-07-2": _value(
        "batch norm in evaluation mode: mean 2, variance 4, x = 6", (6 - 2) / np.sqrt(4),
        "Subtract the running mean, then divide by the running standard deviation (the square "
        "root of the variance).", rtol=1e-6,
        mistakes={1.0: "Divide by the standard deviation sqrt(4) = 2, not by the variance 4.",
                  4.0: "After subtracting the mean, divide by the standard deviation.",
                  1.5: "Subtract the mean first: (6 - 2) / 2."}),
    "ex-07-3": _value(
        "dropout scale for the kept values, p = 0.2", 1 / (1 - 0.2),
        "A value is kept with probability 1 - p; the scale must keep its expected value "
        "unchanged.", rtol=1e-6,
        mistakes={0.8: "0.8 is the probability of keeping a value (the original dropout's "
                       "test-time factor); inverted dropout divides by it during training.",
                  5.0: "1 / p would be the scale for the dropped share; the kept values are "
                       "divided by the keep probability 1 - p.",
                  1.2: "1 + p is close but not exact: the scale is 1 / (1 - p).",
                  1.0: "Without scaling, the expected value would shrink to (1 - p) times the "
                       "input."}),
    "ex-07-4": _choice(
        "why a network must be in evaluation mode for testing", "d",
        "Right: dropout's random masks and batch norm's batch statistics make training-mode "
        "outputs random and batch-dependent; evaluation mode turns dropout off and uses the "
        "running statistics.",
        {"a": "The mode does not change the speed that matters here: it changes what dropout "
              "and batch norm compute (random masks, batch statistics).",
         "c": "A forward pass never changes the weights; only a training step does. The "
              "randomness comes from dropout's masks and the batch dependence from batch "
              "norm's statistics.",
         "b": "Inverted dropout scales the kept values during training, so evaluation needs no "
              "rescaling; and a rescaling would not make the answers random."}),
    # 08 fast convolution
    "ex-08-1": _value(
        "im2col shape for 3x227x227, 11x11 kernel, stride 4",
        (3 * 11 * 11, shapes.conv_output_size(227, 11, 4) ** 2),
        "Rows: the numbers in one window (all channels). Columns: one per output position.",
        mistakes={(3025, 363): "Rows and columns are swapped: each column is one window.",
                  (121, 3025): "A window spans all 3 input channels: 3 x 11 x 11 numbers.",
                  (363, 55): "There is one column per output position: 55 x 55 of them."}),
    "ex-08-2": _value(
        "OIHW weight shape of the 24x24x10 -> 1x1x10 convolution", (10, 10, 24, 24),
        "One filter per output score, each as deep as the map and as large as the whole map.",
        mistakes={(10, 24, 24, 10): "cnnlib (like PyTorch) orders a weight (C_out, C_in, k_h, "
                                    "k_w).",
                  (1, 10, 24, 24): "Each of the 10 scores needs its own filter.",
                  (10, 10, 1, 1): "A 1x1 kernel sees one position; this filter must cover the "
                                  "whole 24x24 map."}),
    "ex-08-3": lambda a: conv_params(a, in_channels=256, out_channels=64, kernel_size=1),
    "ex-08-4": _choice(
        "why im2col + one matrix product beats the loops", "d",
        "Right: the arithmetic is the same (216 multiply-adds both ways in section 8.2); it runs "
        "in one call to compiled, vectorised, cache-friendly code instead of one Python step per "
        "window. The copy costs memory, not much time.",
        {"a": "Count them: the product of a 3 x 18 and an 18 x 4 matrix is 3 x 18 x 4 = 216 "
              "multiply-adds, exactly as many as the loops do. The copies are multiplied too.",
         "c": "The im2col matrix is larger than the image, not smaller: 7 to 9 times in section "
              "8.3, because each value is copied into every window that contains it.",
         "b": "The result is exact, not an approximation: section 8.2 prints True for "
              "matmul == naive loops. The same products are summed, only in another order."}),
    # 09 counting parameters
    "ex-09-1": lambda a: conv_params(a, in_channels=3, out_channels=96, kernel_size=11),
    "ex-09-2": lambda a: conv_params(a, in_channels=96, out_channels=256, kernel_size=5,
                                     groups=2),
    "ex-09-3": _value(
        "parameters of 1x1 (192 -> 16) then 5x5 (16 -> 32)",
        shapes.conv_params(192, 16, 1) + shapes.conv_params(16, 32, 5),
        "Count each layer with ((k k C_in) + 1) C_out and add the two.",
        mistakes={153_632: "That is the 5x5 convolution on all 192 channels, without the 1x1 "
                           "reduction.",
                  15_872: "Each of the 16 + 32 filters also has a bias.",
                  12_832: "Do not forget the 1x1 layer itself: (192 + 1) x 16."}),
    "ex-09-4": _value(
        "weights of a depthwise-separable 3x3 convolution, 128 -> 128",
        shapes.conv_params(128, 128, 3, groups=128, bias=False)
        + shapes.conv_params(128, 128, 1, bias=False),
        "Depthwise: one 3x3 filter per input channel. Pointwise: a 1x1 convolution from 128 "
        "to 128.",
        mistakes={147_456: "That is a full 3x3 convolution; the depthwise part has one 3x3 "
                           "filter per channel.",
                  16_384: "Add the depthwise 3x3 filters: 9 weights for each of the 128 "
                          "channels.",
                  1_152: "Add the 1x1 pointwise convolution: 128 x 128 weights."}),
    "ex-09-5": _choice(
        "why residual connections help very deep networks", "a",
        "Right: with out = F(x) + x a block is the identity when F is zero, so extra blocks start "
        "near \"do nothing\" and only learn a correction. Plain networks lacked exactly that: "
        "with batch norm and healthy gradients, the deeper one still reached a higher training "
        "error (the degradation problem He et al. measured).",
        {"b": "Batch norm (and He initialisation) already keep a plain stack's gradient alive: "
              "section 9.6 measured it, and He et al.'s plain networks had batch norm and "
              "healthy gradients, yet the deeper one trained worse.",
         "c": "The identity shortcut has no parameters at all (section 9.6's count); a residual "
              "network has the same convolutions as its plain twin.",
         "d": "The deeper plain network was worse on its own training data, not only on new "
              "data: that is an optimisation failure, not overfitting."}),
    # 10 AlexNet
    "ex-10-1": lambda a: output_size(a, input_size=227, kernel_size=11, stride=4),
    "ex-10-2": lambda a: output_size(a, input_size=224, kernel_size=11, stride=4, padding=2),
    "ex-10-3": _value(
        "parameters of fc6 (256x6x6 -> 4096)", shapes.linear_params(256 * 6 * 6, 4096),
        "Count (inputs + 1) x outputs, with inputs = 256 * 6 * 6.",
        mistakes={37_748_736: "Each of the 4096 units also has a bias.",
                  177_213_440: "fc6 comes after the last pooling: the map is 6x6, not 13x13.",
                  9_217: "Each of the 4096 units has its own 9,216 weights and bias."}),
    "ex-10-4": _value(
        "percentage of AlexNet's parameters in fully connected layers", 95.96,
        "Add the three fully connected counts, divide by the total, multiply by 100.",
        atol=0.06,
        mistakes={4.04: "That is the convolutions' share; the question asks for the fully "
                        "connected layers.",
                  0.96: "Give a percentage (0 to 100), not a fraction."}),
    "ex-10-5": lambda a: conv_params(a, in_channels=384, out_channels=384, kernel_size=3,
                                     groups=2),
    "ex-10-6": _choice(
        "why almost all of AlexNet's parameters are in the fully connected layers", "b",
        "Right: a fully connected layer has its own weight for every pair of input and output "
        "(fc6: 9,216 x 4,096), while a convolution reuses one small filter at every position, so "
        "its count does not grow with the size of the map.",
        {"a": "Parameters and computation are different things: the convolutions hold only some "
              "4% of the parameters yet do some 92% of the multiply-adds, since each of their "
              "weights is used at every output position.",
         "c": "The number of outputs is not what counts: conv3 produces 384 x 13 x 13 = 64,896 "
              "outputs, far more than fc6's 4,096, yet has 663,936 parameters against fc6's "
              "37,752,832. What counts is how many weights each output has of its own."}),
    # 11 training
    "ex-11-1": _value(
        "cross-entropy of an untrained 10-class network", np.log(10),
        "The loss is -log of the probability given to the right class; what is that "
        "probability when all 10 classes are equally likely?", rtol=5e-3,
        mistakes={0.1: "0.1 is the probability of the right class; the loss is -log of it.",
                  1.0: "That is -log10(0.1): cross-entropy uses the natural logarithm.",
                  0.9: "0.9 is the chance of being wrong, not the loss."}),
    "ex-11-2": _value(
        "velocity of SGD with momentum 0.9 under a constant gradient", 1 / (1 - 0.9),
        "At the steady state b does not change: solve b = 0.9 * b + g for b.", rtol=1e-3,
        mistakes={0.9: "The momentum is the factor on the old velocity, not the steady state.",
                  1.9: "That is only the second step (g + 0.9 g); keep going.",
                  1.0: "That is plain SGD (mu = 0); momentum keeps adding the old velocity."}),
    "ex-11-3": _value(
        "steps in one epoch of 1,347 images with batch_size 32", -(-1347 // 32),
        "Every image is used once per epoch; the last mini-batch may be smaller.",
        mistakes={42: "The 3 images left over still form a last, smaller mini-batch.",
                  1347 / 32: "Steps are whole: round the number of batches up."}),
    "ex-11-4": _choice(
        "why the sigmoid network without batch norm stays at the guessing loss", "c",
        "Right: at the first step every image reaches the head as nearly the same numbers "
        "(0.503 ± 0.003), so almost all of the head's gradient is the part common to all images. "
        "It can learn how common each class is, not which digit it sees. Batch norm (notebook 7) "
        "restores the differences between images.",
        {"a": "That is the usual textbook explanation, and here the measurement refutes it: "
              "the network has only two sigmoids, and its head's gradient is about three "
              "times larger than the ReLU network's. What is missing is information in the "
              "forward signal, not gradient.",
         "b": "Each network got its own learning rate, chosen among four up to 0.3, and the "
              "sigmoid network stays near 10% validation accuracy at every one of them.",
         "d": "Saturation means outputs near 0 or 1; these sigmoids output about 0.5, their steep "
              "middle, where the slope is largest (0.25). The trouble is that the output is "
              "about 0.5 for every image."}),
    # 12 uses and limits
    "ex-12-1": _choice(
        "why a CNN trained on upright digits misreads turned digits", "c",
        "Right: a filter answers one orientation, and weight sharing copies it to every "
        "position without turning it; the turned strokes excite other filters, which no "
        "training image paired with the digit. Training on turned copies (data augmentation) "
        "is what helps.",
        {"a": "Convolution follows shifts, not rotations: the vertical-edge filter answered 4 "
              "to a vertical edge and 0 to the same edge turned by 90 degrees, already in the "
              "first layer.",
         "b": "More parameters do not teach what the data never showed: a larger network "
              "trained on the same upright digits has seen no turned strokes either."}),
    "ex-12-2": _value(
        "3x3 stride-1 convolution layers for a receptive field of at least 32 pixels",
        next(n for n in range(1, 100)
             if shapes.receptive_fields([W(3)] * n)[-1].rf >= 32),
        "Each 3x3 layer at stride 1 adds k - 1 = 2 pixels to the receptive field: r = 1 + 2L.",
        mistakes={15: "Fifteen layers give 1 + 2 x 15 = 31 pixels, one short of 32.",
                  11: "Kernel sizes do not add up (3 + 3 + ...): each layer adds only k - 1 = 2 "
                      "pixels.",
                  31: "Each 3x3 layer adds 2 pixels, not 1."}),
    "ex-12-3": _value(
        "attention weights of one ViT head on 224x224 with 16x16 patches", ((224 // 16) ** 2) ** 2,
        "Count the patches, (224 / 16)^2; every patch has one weight for every patch, itself "
        "included.",
        mistakes={196: "That is the number of patches; each of them has a weight for every "
                       "patch.",
                  224 * 224: "Attention works on patches, not pixels.",
                  196 * 195: "A patch also attends to itself.",
                  196 * 197 // 2: "a_ij and a_ji are different numbers: count ordered pairs."}),
    "ex-12-4": _value(
        "input shift that moves the map after two 2x2/2 poolings by one cell",
        shapes.receptive_fields([W(2, stride=2), W(2, stride=2)])[-1].jump,
        "One cell of the last map stands for the jump of the stack: multiply the strides.",
        mistakes={2: "That is one pooling; the strides multiply: 2 x 2.",
                  1: "A 1-pixel shift changes the pooled map; it cannot move it by a fraction of "
                     "a cell.",
                  8: "The strides multiply: 2 x 2, for two poolings."}),
}


def check_exercise(exercise: str, answer) -> Feedback:
    """Check the answer to the course exercise ``exercise`` (its cell id, e.g. ``"ex-05-3"``).

    Raises
    ------
    ValueError
        For an id that is not an exercise of the course.
    """
    if exercise not in EXERCISES:
        raise ValueError(f"exercise must be an id such as 'ex-05-3' (notebook 05, exercise 3); "
                         f"got {exercise!r}.")
    return EXERCISES[exercise](answer)
