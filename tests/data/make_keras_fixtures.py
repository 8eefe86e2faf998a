#!/usr/bin/env python3
"""Writes Keras model files for the core/io tests, without TensorFlow or Keras.

The files follow the layouts Keras writes (see ../shared/reference/keras-format.md):
legacy .h5 in the Keras 2 layout (fixed-length byte-string attributes, weights under
<layer>/<layer>/kernel:0), the Keras 3.1 layout (weight names "kernel" directly in the layer
group) and the Keras >= 3.3 layout (variable-length strings, weight paths nested under the model
name), Keras 3 .keras zips (stored and deflated; weights under layers/<class snake_case>_N/vars/i)
and the TF 2.13 `_layer_checkpoint_dependencies` variant, Functional models in both
inbound_nodes formats, the Keras 2.0 bare-list Sequential config and chunked layer_names0/1...
attributes.

Beside every model file it writes <file>.ref.h5 holding `x` (a few random inputs) and `y` (the
outputs of an independent float64 numpy forward pass, stored as float32), and it lists everything
in manifest.json. Usage: make_keras_fixtures.py OUTPUT_DIR
"""

import io
import json
import math
import os
import re
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vision_fixtures  # noqa: E402  (issue-15 layer families)
import keras_sequence_fixtures as seqfix  # noqa: E402
import keras_attention_fixtures as attfix  # noqa: E402

RNG = np.random.default_rng(20171014)

# ---------------------------------------------------------------------------------------------
# A model description: list of layers (dicts) with class name, config, inputs and weights.


def layer(cls, name, inputs=None, weights=None, **cfg):
    cfg = dict(cfg)
    cfg["name"] = name
    return {"cls": cls, "name": name, "cfg": cfg, "inputs": inputs or [], "weights": weights or []}


def dense(name, n_in, units, activation="linear", use_bias=True, inputs=None):
    w = [("kernel", RNG.normal(0, 1.0 / math.sqrt(n_in), (n_in, units)).astype(np.float32))]
    if use_bias:
        w.append(("bias", RNG.normal(0, 0.1, (units,)).astype(np.float32)))
    return layer("Dense", name, inputs, w, units=units, activation=activation, use_bias=use_bias)


def conv(name, cin, filters, k=(3, 3), strides=(1, 1), padding="valid", dilation=(1, 1),
         activation="linear", use_bias=True, inputs=None):
    fan = k[0] * k[1] * cin
    w = [("kernel", RNG.normal(0, 1.0 / math.sqrt(fan), (k[0], k[1], cin, filters)).astype(np.float32))]
    if use_bias:
        w.append(("bias", RNG.normal(0, 0.1, (filters,)).astype(np.float32)))
    return layer("Conv2D", name, inputs, w, filters=filters, kernel_size=list(k), strides=list(strides),
                 padding=padding, dilation_rate=list(dilation), groups=1, data_format="channels_last",
                 activation=activation, use_bias=use_bias)


def depthwise(name, cin, mult=1, k=(3, 3), strides=(1, 1), padding="valid", dilation=(1, 1), activation="linear",
              use_bias=True, inputs=None):
    w = [("depthwise_kernel", RNG.normal(0, 1.0 / math.sqrt(k[0] * k[1]), (k[0], k[1], cin, mult)).astype(np.float32))]
    if use_bias:
        w.append(("bias", RNG.normal(0, 0.1, (cin * mult,)).astype(np.float32)))
    return layer("DepthwiseConv2D", name, inputs, w, kernel_size=list(k), strides=list(strides), padding=padding,
                 depth_multiplier=mult, dilation_rate=list(dilation), data_format="channels_last",
                 activation=activation, use_bias=use_bias)


def separable(name, cin, filters, mult=1, k=(3, 3), strides=(1, 1), padding="valid", dilation=(1, 1),
              activation="linear", use_bias=True, inputs=None):
    w = [("depthwise_kernel", RNG.normal(0, 1.0 / math.sqrt(k[0] * k[1]), (k[0], k[1], cin, mult)).astype(np.float32)),
         ("pointwise_kernel", RNG.normal(0, 1.0 / math.sqrt(cin * mult), (1, 1, cin * mult, filters)).astype(np.float32))]
    if use_bias:
        w.append(("bias", RNG.normal(0, 0.1, (filters,)).astype(np.float32)))
    return layer("SeparableConv2D", name, inputs, w, filters=filters, kernel_size=list(k), strides=list(strides),
                 padding=padding, depth_multiplier=mult, dilation_rate=list(dilation), data_format="channels_last",
                 activation=activation, use_bias=use_bias)


def conv1d_layer(name, cin, filters, k=3, strides=1, padding="valid", dilation=1, activation="linear", inputs=None):
    w = [("kernel", RNG.normal(0, 1.0 / math.sqrt(k * cin), (k, cin, filters)).astype(np.float32)),
         ("bias", RNG.normal(0, 0.1, (filters,)).astype(np.float32))]
    return layer("Conv1D", name, inputs, w, filters=filters, kernel_size=[k], strides=[strides], padding=padding,
                 dilation_rate=[dilation], groups=1, data_format="channels_last", activation=activation, use_bias=True)


def keras3_weight_name(cls, role):
    """Keras 3 names a DepthwiseConv2D's kernel variable "kernel" (Keras 2: "depthwise_kernel")."""
    return "kernel" if cls == "DepthwiseConv2D" and role == "depthwise_kernel" else role


def batchnorm(name, c, center=True, scale=True, axis=-1, inputs=None):
    w = []
    if scale:
        w.append(("gamma", RNG.uniform(0.5, 1.5, (c,)).astype(np.float32)))
    if center:
        w.append(("beta", RNG.normal(0, 0.2, (c,)).astype(np.float32)))
    w.append(("moving_mean", RNG.normal(0, 0.3, (c,)).astype(np.float32)))
    w.append(("moving_variance", RNG.uniform(0.5, 2.0, (c,)).astype(np.float32)))
    return layer("BatchNormalization", name, inputs, w, axis=axis, epsilon=1e-3, center=center, scale=scale,
                 momentum=0.99)


# ---------------------------------------------------------------------------------------------
# Independent numpy reference (float64), following Keras/TensorFlow semantics.

def erf(x):
    return np.vectorize(math.erf)(x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def activate(name, x, alpha=None, keras2=False):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    if name == "sigmoid":
        return sigmoid(x)
    if name == "hard_sigmoid":  # Keras 2: clip(0.2 x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6
        return np.clip(0.2 * x + 0.5, 0, 1) if keras2 else np.clip(x + 3.0, 0, 6) / 6.0
    if name == "tanh":
        return np.tanh(x)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "elu":
        a = 1.0 if alpha is None else alpha
        return np.where(x > 0, x, a * np.expm1(x))
    if name == "selu":
        a, s = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
        return s * np.where(x > 0, x, a * np.expm1(x))
    if name in ("swish", "silu"):
        return x * sigmoid(x)
    if name == "gelu":  # exact (approximate=False)
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if name == "leaky_relu":
        return np.where(x >= 0, x, alpha * x)
    raise ValueError(name)


def same_pads(size, k, s, d=1):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2, total - total // 2


def conv2d(x, w, strides, padding, dilation):
    n, h, wd, cin = x.shape
    kh, kw, _, cout = w.shape
    sh, sw = strides
    dh, dw = dilation
    if padding == "same":
        oh, pt, pb = same_pads(h, kh, sh, dh)
        ow, pl, pr = same_pads(wd, kw, sw, dw)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    else:
        oh = (h - (dh * (kh - 1) + 1)) // sh + 1
        ow = (wd - (dw * (kw - 1) + 1)) // sw + 1
    y = np.zeros((n, oh, ow, cout))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
            y += patch @ w[i, j]
    return y


def depthwise2d(x, w, strides, padding, dilation):
    """Each channel c convolved with w[:, :, c, m]; output channel c * M + m."""
    n, h, wd, c = x.shape
    kh, kw, _, mult = w.shape
    sh, sw = strides
    dh, dw = dilation
    if padding == "same":
        oh, pt, pb = same_pads(h, kh, sh, dh)
        ow, pl, pr = same_pads(wd, kw, sw, dw)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    else:
        oh = (h - (dh * (kh - 1) + 1)) // sh + 1
        ow = (wd - (dw * (kw - 1) + 1)) // sw + 1
    y = np.zeros((n, oh, ow, c, mult))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
            y += patch[..., None] * w[i, j]
    return y.reshape(n, oh, ow, c * mult)


def pool2d(x, k, s, padding, kind):
    n, h, w, c = x.shape
    if padding == "same":
        oh, pt, _ = same_pads(h, k[0], s[0])
        ow, pl, _ = same_pads(w, k[1], s[1])
    else:
        oh, ow, pt, pl = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1, 0, 0
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            i0, j0 = max(i * s[0] - pt, 0), max(j * s[1] - pl, 0)
            i1, j1 = min(i * s[0] - pt + k[0], h), min(j * s[1] - pl + k[1], w)
            win = x[:, i0:i1, j0:j1, :]
            # TensorFlow's average pooling divides by the number of real (unpadded) elements.
            y[:, i, j, :] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return y


def forward(model, x, keras2=False):
    values = {}
    weights = {}
    masks = {}  # Keras masks (Embedding mask_zero) by layer name
    for l in model:
        weights = {r: a.astype(np.float64) for r, a in l["weights"]}
        c, cls = l["cfg"], l["cls"]
        ins = [values[i] for i in l["inputs"]]
        if cls == "InputLayer":
            y = x.astype(np.float64)
        elif cls == "Dense":
            y = ins[0] @ weights["kernel"] + weights.get("bias", 0.0)
            y = activate(c["activation"], y, keras2=keras2)
        elif cls == "Conv2D":
            y = conv2d(ins[0], weights["kernel"], c["strides"], c["padding"], c["dilation_rate"])
            y = activate(c["activation"], y + weights.get("bias", 0.0), keras2=keras2)
        elif cls == "DepthwiseConv2D":
            y = depthwise2d(ins[0], weights["depthwise_kernel"], c["strides"], c["padding"], c["dilation_rate"])
            y = activate(c["activation"], y + weights.get("bias", 0.0), keras2=keras2)
        elif cls == "SeparableConv2D":
            y = depthwise2d(ins[0], weights["depthwise_kernel"], c["strides"], c["padding"], c["dilation_rate"])
            y = y @ weights["pointwise_kernel"][0, 0]
            y = activate(c["activation"], y + weights.get("bias", 0.0), keras2=keras2)
        elif cls == "Conv1D":
            x1 = ins[0]
            if c["padding"] == "causal":  # dilation * (k - 1) zeros before the sequence only
                x1 = np.pad(x1, ((0, 0), (c["dilation_rate"][0] * (weights["kernel"].shape[0] - 1), 0), (0, 0)))
            pad = "valid" if c["padding"] == "causal" else c["padding"]
            y = conv2d(x1[:, None], weights["kernel"][None], [1, c["strides"][0]], pad, [1, c["dilation_rate"][0]])[:, 0]
            y = activate(c["activation"], y + weights["bias"], keras2=keras2)
        elif cls in ("MaxPooling1D", "AveragePooling1D"):
            k1, s1 = c["pool_size"][0], (c.get("strides") or c["pool_size"])[0]
            y = pool2d(ins[0][:, None], (1, k1), (1, s1), c.get("padding", "valid"),
                       "max" if cls == "MaxPooling1D" else "avg")[:, 0]
        elif cls == "GlobalAveragePooling1D":
            m1 = masks.get(l["inputs"][0])  # Keras: the mean over the unmasked steps
            y = ins[0].mean(axis=1) if m1 is None else (ins[0] * m1[..., None]).sum(axis=1) / m1.sum(
                axis=1, keepdims=True)
        elif cls == "GlobalMaxPooling1D":
            y = ins[0].max(axis=1)
        elif cls == "ZeroPadding1D":
            le, r = c["padding"]
            y = np.pad(ins[0], ((0, 0), (le, r), (0, 0)))
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            k = c["pool_size"]
            s = c.get("strides") or k
            y = pool2d(ins[0], k, s, c.get("padding", "valid"), "max" if cls == "MaxPooling2D" else "avg")
        elif cls == "GlobalAveragePooling2D":
            y = ins[0].mean(axis=(1, 2))
        elif cls == "GlobalMaxPooling2D":
            y = ins[0].max(axis=(1, 2))
        elif cls == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif cls == "Reshape":
            y = ins[0].reshape((ins[0].shape[0],) + tuple(c["target_shape"]))
        elif cls == "ZeroPadding2D":
            (t, b), (le, r) = c["padding"]
            y = np.pad(ins[0], ((0, 0), (t, b), (le, r), (0, 0)))
        elif cls == "Dropout":
            y = ins[0]
        elif cls == "Activation":
            y = activate(c["activation"], ins[0], keras2=keras2)
        elif cls == "ReLU":
            y = np.maximum(ins[0], 0) if c.get("max_value") is None else np.clip(ins[0], 0, c["max_value"])
        elif cls == "LeakyReLU":
            a = c.get("negative_slope", c.get("alpha"))
            y = activate("leaky_relu", ins[0], a)
        elif cls == "ELU":
            y = activate("elu", ins[0], c.get("alpha", 1.0))
        elif cls == "Softmax":
            y = activate("softmax", ins[0])
        elif cls == "BatchNormalization":
            g = weights.get("gamma", 1.0)
            b = weights.get("beta", 0.0)
            y = g * (ins[0] - weights["moving_mean"]) / np.sqrt(weights["moving_variance"] + c["epsilon"]) + b
        elif cls == "Add":
            y = sum(ins)
        elif cls == "Concatenate":
            y = np.concatenate(ins, axis=c["axis"])
        elif cls in attfix.CLASSES:
            y = attfix.forward_layer(l, ins, weights, [masks.get(i) for i in l["inputs"]])
        elif cls in seqfix.CLASSES:
            y = seqfix.forward_layer(l, ins, weights, keras2, masks.get(l["inputs"][0]) if l["inputs"] else None)
        else:
            y = vision_fixtures.forward_layer(cls, c, ins, weights, keras2, sys.modules[__name__], l)
            if y is None:
                raise ValueError(cls)
        masks[l["name"]] = seqfix.output_mask(l, masks, ins)
        values[l["name"]] = y
    return values[model[-1]["name"]]


# ---------------------------------------------------------------------------------------------
# Writers.

def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def layer_configs(model, style, functional, first_layer_shape=None):
    """Keras layer entries. style: 'k2' (Keras 2) or 'k3' (Keras 3: DTypePolicy, module keys)."""
    entries = []
    for l in model:
        cfg = dict(l["cfg"])
        cfg["trainable"] = True
        if l["cls"] != "InputLayer":
            cfg["dtype"] = dtype_policy() if style == "k3" else "float32"
        entry = {"class_name": l["cls"], "config": cfg}
        if style == "k3":
            entry["module"] = "keras.layers"
            entry["registered_name"] = None
        if functional and "node" in l:  # call arguments of its own (MultiHeadAttention)
            entry["inbound_nodes"] = l["node"](style)
            if style == "k2":
                entry["name"] = l["name"]
        elif functional:
            if style == "k2":
                entry["name"] = l["name"]
                entry["inbound_nodes"] = [[[i, 0, 0, {}] for i in l["inputs"]]] if l["inputs"] else []
            else:
                tensors = [{"class_name": "__keras_tensor__",
                            "config": {"shape": [None], "dtype": "float32", "keras_history": [i, 0, 0]}}
                           for i in l["inputs"]]
                if not tensors:
                    entry["inbound_nodes"] = []
                elif l["cls"] in ("Add", "Concatenate") + vision_fixtures.MERGE_CLASSES:
                    entry["inbound_nodes"] = [{"args": [tensors], "kwargs": {}}]
                else:
                    entry["inbound_nodes"] = [{"args": tensors, "kwargs": {}}]
        entries.append(entry)
    if first_layer_shape is not None:
        entries[0]["config"]["batch_input_shape"] = first_layer_shape
    return entries


def model_config(model, name, style, functional, bare_list=False, first_layer_shape=None):
    entries = layer_configs(model, style, functional, first_layer_shape)
    if bare_list:
        return {"class_name": "Sequential", "config": entries}
    if not functional:
        return {"class_name": "Sequential", "config": {"name": name, "layers": entries}}
    ins = [[l["name"], 0, 0] for l in model if l["cls"] == "InputLayer"]
    outs = [[model[-1]["name"], 0, 0]]
    if style == "k3":
        ins, outs = ins[0], outs[0]  # Keras 3 flattens single inputs/outputs
    return {"class_name": "Functional" if style == "k3" else "Model",
            "config": {"name": name, "layers": entries, "input_layers": ins, "output_layers": outs}}


def put_strings(obj, key, values, vlen, chunk_bytes=None):
    if not values:
        obj.attrs[key] = np.array([], dtype=np.float64)
        return
    if vlen:
        arr = np.array(values, dtype=h5py.string_dtype())
        width = max(len(v) for v in values)
    else:
        arr = np.array([v.encode() for v in values])
        width = arr.dtype.itemsize
    if chunk_bytes and width * len(values) > chunk_bytes:
        chunks = -(-width * len(values) // chunk_bytes)
        for i, part in enumerate(np.array_split(arr, chunks)):
            obj.attrs.create(f"{key}{i}", part, dtype=arr.dtype)
        return
    obj.attrs.create(key, arr, dtype=arr.dtype)


def write_legacy_h5(path, model, config, style, keras_version, model_name="sequential", weightless_in_names=True,
                    chunk=False, fixed_model_config=False):
    """style: 'k2' (name/role:0 under layer/layer/), 'k31' (role directly), 'k33' (model/name/role)."""
    vlen = style != "k2"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        text = json.dumps(config)
        f.attrs["model_config"] = np.bytes_(text.encode()) if fixed_model_config else (text if vlen else text.encode())
        g = f.create_group("model_weights")
        names = [l["name"] for l in model if l["cls"] != "InputLayer" or not weightless_in_names]
        put_strings(g, "layer_names", names, vlen, 64512 if chunk else None)
        g.attrs["backend"] = "tensorflow"
        g.attrs["keras_version"] = keras_version
        for l in model:
            if l["name"] not in names:
                continue
            lg = g.create_group(l["name"])
            wnames = []
            for role, arr in l["weights"]:
                cell = l["cell"] + "/" if l.get("cell") else ""  # recurrent layers: variables of the cell
                if style == "k2":
                    wn = f"{l['name']}/{cell}{role}:0"
                elif style == "k31":
                    wn = keras3_weight_name(l["cls"], role)
                else:
                    wn = f"{model_name}/{l['name']}/{cell}{keras3_weight_name(l['cls'], role)}"
                lg.create_dataset(wn, data=arr)
                wnames.append(wn)
            put_strings(lg, "weight_names", wnames, vlen)
        if style == "k33":
            f.create_group("top_level_model_weights")


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def write_zip_layers(lay, model):
    """Layer groups <class snake_case>_N/vars/i; a nested model (layer with "sub") holds its own
    layers/ numbered within it."""
    used = {}
    for l in model:
        if l["cls"] == "InputLayer":
            continue
        base = snake(l["cls"])
        if base in used:
            used[base] += 1
            gname = f"{base}_{used[base]}"
        else:
            used[base] = 0
            gname = base
        g = lay.create_group(gname)
        v = g.create_group("vars")
        if "zip_parts" in l:  # Bidirectional: each direction's variables in its own sub-group
            for sub, arrays in l["zip_parts"]:
                pv = g
                for part in sub.split("/"):
                    pv = pv.create_group(part)
                pv = pv.create_group("vars")
                for i, arr in enumerate(arrays):
                    pv.create_dataset(str(i), data=arr)
            continue
        if l.get("nest"):  # variables of a recurrent cell / wrapped layer; the layer's own vars stay empty
            v = g.create_group(l["nest"]).create_group("vars")
        if "sub" in l:
            write_zip_layers(g.create_group("layers"), l["sub"])
            continue
        for i, (_, arr) in enumerate(l["weights"]):
            v.create_dataset(str(i), data=arr)


def write_keras_zip(path, model, config, compression, root="layers"):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        write_zip_layers(f.create_group(root), model)
        f.create_group("vars")
        f.create_group("optimizer").create_group("vars").create_dataset("0", data=np.int64(0))
    meta = {"keras_version": "3.1.1", "date_saved": "2026-01-01@00:00:00"}
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        z.writestr("metadata.json", json.dumps(meta))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())


def write_reference(path, model, input_shape, count=3, keras2=False):
    """keras2: the file says Keras 2.x, whose hard_sigmoid differs from Keras 3's."""
    x = RNG.normal(0, 1, (count,) + tuple(input_shape)).astype(np.float32)
    y = forward(model, x, keras2)
    with h5py.File(path + ".ref.h5", "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("y", data=y.astype(np.float32))


# ---------------------------------------------------------------------------------------------
# The fixtures.

def input_layer(name, shape, key="batch_input_shape"):
    return layer("InputLayer", name, None, None, **{key: [None] + list(shape), "dtype": "float32", "sparse": False})


def mlp_all_activations(style):
    """Dense chain using every activation name as a fused activation."""
    acts = ["relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "elu", "selu", "swish", "silu", "gelu", "linear"]
    key = "batch_input_shape" if style == "k2" else "batch_shape"
    m = [input_layer("input_1", (12,), key)]
    prev, width = "input_1", 12
    for i, a in enumerate(acts):
        units = 9 + (i % 3) * 4
        m.append(dense(f"dense_{i}", width, units, a, use_bias=(i % 4 != 3), inputs=[prev]))
        prev, width = f"dense_{i}", units
    m.append(dense("dense_out", width, 7, "softmax", inputs=[prev]))
    return m, (12,)


def activation_layers():
    """Separate activation layers: Activation, ReLU, ReLU(max_value=6), LeakyReLU, ELU, Softmax, Dropout."""
    m = [input_layer("inp", (10,), "batch_shape"), dense("d0", 10, 16, inputs=["inp"])]
    chain = [
        layer("Activation", "act_tanh", activation="tanh"),
        dense("d1", 16, 16),
        layer("ReLU", "relu_layer", max_value=None, negative_slope=0.0, threshold=0.0),
        dense("d2", 16, 16),
        layer("ReLU", "relu6_layer", max_value=6.0, negative_slope=0.0, threshold=0.0),
        dense("d3", 16, 16),
        layer("LeakyReLU", "leaky", negative_slope=0.15),
        dense("d4", 16, 16),
        layer("ELU", "elu_layer", alpha=0.7),
        layer("Dropout", "drop", rate=0.5),
        dense("d5", 16, 16),
        layer("LeakyReLU", "leaky_zero", alpha=0.0),  # Keras 2 key; slope 0 is a plain ReLU
        dense("d5b", 16, 16),
        layer("Activation", "act_hs", activation="hard_sigmoid"),
        dense("d6", 16, 5),
        layer("Softmax", "softmax_layer", axis=-1),
    ]
    prev = "d0"
    for l in chain:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, (10,)


def cnn_all_layers():
    """Every spatial layer: Conv2D (strides, same/valid, dilation), ZeroPadding2D, pooling (same and
    valid, strides null), BatchNormalization (with and without center/scale), Reshape, Flatten,
    global pooling."""
    m = [input_layer("image", (11, 10, 3), "batch_shape")]
    chain = [
        conv("c_same_s2", 3, 6, (3, 3), (2, 2), "same", activation="relu"),
        layer("ZeroPadding2D", "zp", padding=[[1, 0], [2, 1]], data_format="channels_last"),
        conv("c_dil", 6, 8, (3, 2), (1, 1), "valid", (2, 1), activation="swish", use_bias=False),
        batchnorm("bn_full", 8),
        layer("MaxPooling2D", "mp_same", pool_size=[2, 2], strides=None, padding="same", data_format="channels_last"),
        conv("c_same", 8, 8, (2, 2), (1, 1), "same", activation="tanh"),
        batchnorm("bn_nocenter", 8, center=False, axis=3),
        layer("AveragePooling2D", "ap_same", pool_size=[2, 2], strides=[1, 1], padding="same",
              data_format="channels_last"),
        batchnorm("bn_noscale", 8, scale=False),
        layer("AveragePooling2D", "ap_valid", pool_size=[2, 1], strides=None, padding="valid",
              data_format="channels_last"),
    ]
    prev = "image"
    for l in chain:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, (11, 10, 3), prev


def cnn_flatten_model():
    m, shape, prev = cnn_all_layers()
    # Output of ap_valid: compute with the reference to size the dense layer.
    probe = forward(m, np.zeros((1,) + shape, np.float32))
    h, w, c = probe.shape[1:]
    tail = [
        layer("Reshape", "reshape", target_shape=[h * w, c]),
        layer("Flatten", "flatten", data_format="channels_last"),
        dense("fc", h * w * c, 6, "softmax"),
    ]
    for l in tail:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, shape


def cnn_global_model(kind):
    m, shape, prev = cnn_all_layers()
    tail = [layer(kind, "gp", data_format="channels_last", keepdims=False), dense("fc", 8, 4, "softmax")]
    for l in tail:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, shape


def functional_branches():
    """Two branches merged by Add and Concatenate (Concatenate on channels and on features)."""
    m = [
        input_layer("in_img", (8, 8, 2), "batch_shape"),
        conv("conv_a", 2, 4, (3, 3), padding="same", activation="relu", inputs=["in_img"]),
        conv("conv_b", 2, 4, (1, 1), padding="same", activation="gelu", inputs=["in_img"]),
        layer("Add", "add", inputs=["conv_a", "conv_b"]),
        conv("conv_c", 4, 3, (3, 3), padding="valid", activation="elu", inputs=["add"]),
        layer("ZeroPadding2D", "pad", inputs=["conv_c"], padding=[[1, 1], [1, 1]], data_format="channels_last"),
        layer("Concatenate", "concat", inputs=["pad", "add"], axis=-1),
        batchnorm("bn", 7, inputs=["concat"]),
        layer("GlobalMaxPooling2D", "gmp", inputs=["bn"], data_format="channels_last", keepdims=False),
        dense("dense_1", 7, 5, "relu", inputs=["gmp"]),
        dense("dense_2", 7, 5, "sigmoid", inputs=["gmp"]),
        layer("Concatenate", "concat2", inputs=["dense_1", "dense_2"], axis=1),
        dense("head", 10, 3, "softmax", inputs=["concat2"]),
    ]
    return m, (8, 8, 2)


def mobilenet_blocks():
    """MobileNet-style blocks: DepthwiseConv2D (multiplier 1 and 2, stride 2 same, dilation, with and
    without bias) with BatchNormalization and 1x1 Conv2D, and SeparableConv2D (Keras 2 and 3 weight names)."""
    m = [input_layer("image", (12, 11, 3), "batch_shape")]
    chain = [
        conv("stem", 3, 4, (3, 3), (2, 2), "same"),
        batchnorm("stem_bn", 4),
        layer("ReLU", "stem_relu", max_value=6.0, negative_slope=0.0, threshold=0.0),
        depthwise("dw1", 4, 1, (3, 3), padding="same", use_bias=False),
        batchnorm("dw1_bn", 4),
        layer("Activation", "dw1_relu", activation="relu"),
        conv("pw1", 4, 6, (1, 1), padding="same", activation="relu"),
        depthwise("dw2", 6, 2, (2, 3), padding="valid", dilation=(1, 2), activation="relu6"),
        separable("sep1", 12, 5, 2, (3, 3), (2, 2), "same", activation="relu"),
        separable("sep2", 5, 4, 1, (2, 1), padding="valid", use_bias=False),
        layer("GlobalAveragePooling2D", "gap", data_format="channels_last", keepdims=False),
        dense("fc", 4, 3, "softmax"),
    ]
    prev = "image"
    for l in chain:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, (12, 11, 3)


def signal_model(global_kind):
    """1-D signal network: Conv1D (causal with dilation, same with stride, valid), 1-D pooling
    (valid and same), ZeroPadding1D and global 1-D pooling."""
    m = [input_layer("signal", (16, 3), "batch_shape")]
    chain = [
        conv1d_layer("causal", 3, 4, 3, 1, "causal", 2, "relu"),
        layer("MaxPooling1D", "mp", pool_size=[2], strides=None, padding="valid", data_format="channels_last"),
        layer("ZeroPadding1D", "zp", padding=[1, 2]),
        conv1d_layer("strided", 4, 5, 3, 2, "same", 1, "tanh"),
        layer("AveragePooling1D", "ap", pool_size=[2], strides=[1], padding="same", data_format="channels_last"),
        conv1d_layer("valid", 5, 6, 2, 1, "valid", 1, "linear"),
        layer(global_kind, "gp", data_format="channels_last", keepdims=False),
        dense("fc", 6, 3, "softmax"),
    ]
    prev = "signal"
    for l in chain:
        l["inputs"] = [prev]
        m.append(l)
        prev = l["name"]
    return m, (16, 3)


def chunked_model():
    """Enough long layer names that layer_names exceeds 64 KiB and is split into chunks."""
    m = [input_layer("input_long", (6,), "batch_input_shape")]
    prev, width = "input_long", 6
    for i in range(300):
        name = f"layer_{i:03d}_" + "x" * 230
        if i % 50 == 0:
            m.append(dense(name, width, 6, "tanh", inputs=[prev]))
        else:
            m.append(layer("Dropout", name, inputs=[prev], rate=0.1))
        prev = name
    m.append(dense("out", 6, 3, "softmax", inputs=[prev]))
    return m, (6,)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    manifest = []

    def emit(fname, model, shape, description, keras2=False):
        write_reference(os.path.join(out, fname), model, shape, keras2=keras2)
        manifest.append({"file": fname, "reference": fname + ".ref.h5", "description": description})

    m, s = mlp_all_activations("k2")
    write_legacy_h5(os.path.join(out, "k2_mlp_activations.h5"), m, model_config(m, "sequential_1", "k2", False),
                    "k2", "2.3.1")
    emit("k2_mlp_activations.h5", m, s, "Keras 2 layout, every activation fused in Dense", keras2=True)

    m, s = mlp_all_activations("k2")
    body = m[1:]
    write_legacy_h5(os.path.join(out, "k20_bare_list.h5"), body,
                    model_config(body, "", "k2", False, bare_list=True, first_layer_shape=[None, 12]), "k2", "2.0.8",
                    fixed_model_config=True)
    emit("k20_bare_list.h5", m, s, "Keras 2.0 bare-list config, batch_input_shape on the first layer", keras2=True)

    m, s = activation_layers()
    write_legacy_h5(os.path.join(out, "k33_activation_layers.h5"), m, model_config(m, "sequential", "k3", False),
                    "k33", "3.3.3")
    emit("k33_activation_layers.h5", m, s, "Keras 3.3 layout (vlen strings, nested paths), activation layers")

    m, s = cnn_flatten_model()
    write_legacy_h5(os.path.join(out, "k31_cnn_flatten.h5"), m, model_config(m, "sequential", "k3", False),
                    "k31", "3.1.1")
    emit("k31_cnn_flatten.h5", m, s, "Keras 3.1 layout, every spatial layer, Reshape and Flatten")

    m, s = cnn_global_model("GlobalAveragePooling2D")
    write_legacy_h5(os.path.join(out, "k2_cnn_gap.h5"), m, model_config(m, "sequential", "k2", False), "k2", "2.15.0")
    emit("k2_cnn_gap.h5", m, s, "Keras 2 layout CNN with GlobalAveragePooling2D", keras2=True)

    m, s = functional_branches()
    write_legacy_h5(os.path.join(out, "k2_functional.h5"), m, model_config(m, "model", "k2", True), "k2", "2.11.0",
                    weightless_in_names=False)
    emit("k2_functional.h5", m, s, "Keras 2 Functional (list inbound_nodes) with Add and Concatenate", keras2=True)

    write_legacy_h5(os.path.join(out, "k33_functional.h5"), m, model_config(m, "functional", "k3", True), "k33",
                    "3.3.3", model_name="functional")
    emit("k33_functional.h5", m, s, "Keras 3 Functional (dict inbound_nodes) legacy .h5")

    write_keras_zip(os.path.join(out, "functional_stored.keras"), m, model_config(m, "functional", "k3", True),
                    zipfile.ZIP_STORED)
    emit("functional_stored.keras", m, s, ".keras zip (stored) Functional; configured names differ from weight groups")

    m, s = cnn_global_model("GlobalMaxPooling2D")
    write_keras_zip(os.path.join(out, "cnn_deflated.keras"), m, model_config(m, "sequential", "k3", False),
                    zipfile.ZIP_DEFLATED)
    emit("cnn_deflated.keras", m, s, ".keras zip (deflated members) Sequential CNN")

    m, s = activation_layers()
    write_keras_zip(os.path.join(out, "tf213_checkpoint_deps.keras"), m, model_config(m, "sequential", "k3", False),
                    zipfile.ZIP_STORED, root="_layer_checkpoint_dependencies")
    emit("tf213_checkpoint_deps.keras", m, s, "TF 2.13 .keras with _layer_checkpoint_dependencies")

    m, s = chunked_model()
    write_legacy_h5(os.path.join(out, "k2_chunked_names.h5"), m, model_config(m, "sequential", "k2", False), "k2",
                    "2.15.0", chunk=True)
    emit("k2_chunked_names.h5", m, s, "layer_names split into layer_names0, layer_names1, ...", keras2=True)

    m, s = mobilenet_blocks()
    write_legacy_h5(os.path.join(out, "k2_mobilenet_blocks.h5"), m, model_config(m, "sequential", "k2", False), "k2",
                    "2.4.0")
    emit("k2_mobilenet_blocks.h5", m, s, "Keras 2 DepthwiseConv2D / SeparableConv2D blocks", keras2=True)
    write_legacy_h5(os.path.join(out, "k31_mobilenet_blocks.h5"), m, model_config(m, "sequential", "k3", False),
                    "k31", "3.1.1")
    emit("k31_mobilenet_blocks.h5", m, s, "Keras 3.1 legacy .h5: DepthwiseConv2D kernel named 'kernel'")
    write_keras_zip(os.path.join(out, "mobilenet_blocks.keras"), m, model_config(m, "functional", "k3", True),
                    zipfile.ZIP_DEFLATED)
    emit("mobilenet_blocks.keras", m, s, ".keras Functional with DepthwiseConv2D / SeparableConv2D")

    m, s = signal_model("GlobalMaxPooling1D")
    write_legacy_h5(os.path.join(out, "k2_signal_1d.h5"), m, model_config(m, "sequential", "k2", False), "k2", "2.15.0")
    emit("k2_signal_1d.h5", m, s, "Keras 2 1-D network: Conv1D (causal, dilation, stride), 1-D pooling, padding",
         keras2=True)
    m, s = signal_model("GlobalAveragePooling1D")
    write_keras_zip(os.path.join(out, "signal_1d.keras"), m, model_config(m, "functional", "k3", True),
                    zipfile.ZIP_STORED)
    emit("signal_1d.keras", m, s, ".keras Functional 1-D network with GlobalAveragePooling1D")

    vision_fixtures.emit_all(out, emit, sys.modules[__name__])
    seqfix.emit_all(out, RNG, sys.modules[__name__],
                    lambda fname, description: manifest.append(
                        {"file": fname, "reference": fname + ".ref.h5", "description": description}))
    attfix.emit_all(out, RNG, sys.modules[__name__], seqfix,
                    lambda fname, description: manifest.append(
                        {"file": fname, "reference": fname + ".ref.h5", "description": description}))

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {len(manifest)} fixtures to {out}")


if __name__ == "__main__":
    main()
