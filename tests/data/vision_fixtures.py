"""Fixture models and the independent numpy forward pass of the issue-15 layer families
(UpSampling1D/2D nearest and bilinear, Cropping1D/2D, Conv2DTranspose, Rescaling, Normalization,
Multiply / Subtract / Average / Maximum, Permute, RepeatVector), used by make_keras_fixtures.py.

Semantics written from Keras / TensorFlow documentation (float64):
- UpSampling2D bilinear is tf.image.resize with half-pixel centres: source coordinate
  (o + 0.5) / f - 0.5 per axis, linear between floor and floor + 1 clamped into the image.
- Conv2DTranspose (kernel (kh, kw, filters, C_in)) scatters every input pixel's K[r, s] x into
  output pixel i * s + r * d - pad; the output size is Keras' deconv_output_length and pad is
  TensorFlow's conv2d_transpose split (valid: 0, same: max((in - 1) s + (k - 1) d + 1 - out, 0) // 2).
- Normalization: (x - mean) / max(sqrt(variance), 1e-7), invert: mean + x * max(sqrt(variance), 1e-7).
- Merges broadcast (Keras' Merge layers): a lower-rank input gains axes of size 1 right after the
  batch axis, then numpy broadcasting; e.g. a squeeze-excitation gate (N, 1, 1, C) times (N, H, W, C).
"""

import math

import numpy as np


# ---------------------------------------------------------------------------------------------
# Reference forward pass of one layer; returns None for classes this module does not know.

def deconv_length(n, k, s, d, padding, output_padding):
    span = k + (k - 1) * (d - 1)
    if output_padding is None:
        return n * s if padding == "same" else n * s + max(span - s, 0)
    pad = span // 2 if padding == "same" else 0
    return (n - 1) * s + span - 2 * pad + output_padding


def conv2d_transpose(x, w, strides, padding, dilation, output_padding):
    n, h, wd, cin = x.shape
    kh, kw, cout, _ = w.shape
    sh, sw = strides
    dh, dw = dilation
    op = output_padding or [None, None]
    oh = deconv_length(h, kh, sh, dh, padding, op[0])
    ow = deconv_length(wd, kw, sw, dw, padding, op[1])
    pt = max((h - 1) * sh + (kh - 1) * dh + 1 - oh, 0) // 2 if padding == "same" else 0
    pl = max((wd - 1) * sw + (kw - 1) * dw + 1 - ow, 0) // 2 if padding == "same" else 0
    # Full scatter canvas, cropped to [pt, pt + oh) x [pl, pl + ow).
    fh = max((h - 1) * sh + (kh - 1) * dh + 1, pt + oh)
    fw = max((wd - 1) * sw + (kw - 1) * dw + 1, pl + ow)
    full = np.zeros((n, fh, fw, cout))
    for r in range(kh):
        for s in range(kw):
            contrib = x @ w[r, s].T  # (n, h, wd, cout)
            full[:, r * dh: r * dh + (h - 1) * sh + 1: sh, s * dw: s * dw + (wd - 1) * sw + 1: sw, :] += contrib
    return full[:, pt: pt + oh, pl: pl + ow, :]


def resize_matrix(n, f, bilinear):
    """(n * f) x n interpolation matrix of one axis."""
    a = np.zeros((n * f, n))
    for o in range(n * f):
        if not bilinear:
            a[o, o // f] = 1.0
            continue
        src = (o + 0.5) / f - 0.5
        lo = math.floor(src)
        frac = src - lo
        a[o, min(max(lo, 0), n - 1)] += 1.0 - frac
        a[o, min(max(lo + 1, 0), n - 1)] += frac
    return a


def forward_layer(cls, c, ins, weights, keras2, base, entry=None):
    """`base` is the make_keras_fixtures module (activate, ...); `entry` the layer (nested models)."""
    if cls in NESTED_CLASSES:
        return base.forward(entry["sub"], ins[0], keras2)
    if cls == "UpSampling1D":
        size = c["size"][0] if isinstance(c["size"], list) else c["size"]
        return np.repeat(ins[0], size, axis=1)
    if cls == "UpSampling2D":
        fh, fw = c["size"]
        bil = c.get("interpolation", "nearest") == "bilinear"
        x = ins[0]
        ah = resize_matrix(x.shape[1], fh, bil)
        aw = resize_matrix(x.shape[2], fw, bil)
        return np.einsum("ai,bj,nijc->nabc", ah, aw, x)
    if cls == "Cropping1D":
        a, b = c["cropping"]
        return ins[0][:, a: ins[0].shape[1] - b]
    if cls == "Cropping2D":
        (t, b), (le, r) = c["cropping"]
        x = ins[0]
        return x[:, t: x.shape[1] - b, le: x.shape[2] - r]
    if cls == "Conv2DTranspose":
        y = conv2d_transpose(ins[0], weights["kernel"], c["strides"], c["padding"], c["dilation_rate"],
                             c.get("output_padding"))
        return base.activate(c["activation"], y + weights.get("bias", 0.0), keras2=keras2)
    if cls == "Rescaling":
        return ins[0] * c["scale"] + c["offset"]
    if cls == "Normalization":
        mean = np.asarray(c["mean"] if c.get("mean") is not None else weights["mean"], dtype=np.float64)
        var = np.asarray(c["variance"] if c.get("variance") is not None else weights["variance"], dtype=np.float64)
        s = np.maximum(np.sqrt(var), 1e-7)
        return mean + ins[0] * s if c.get("invert") else (ins[0] - mean) / s
    if cls in MERGE_CLASSES:
        ins = keras_align(ins)
    if cls == "Multiply":
        y = ins[0].copy()
        for v in ins[1:]:
            y = y * v
        return y
    if cls == "Subtract":
        return ins[0] - ins[1]
    if cls == "Average":
        return sum(ins) / len(ins)
    if cls == "Maximum":
        return np.maximum.reduce(np.broadcast_arrays(*ins))
    if cls == "Permute":
        return np.transpose(ins[0], [0] + list(c["dims"]))
    if cls == "RepeatVector":
        return np.repeat(ins[0][:, None, :], c["n"], axis=1)
    return None


def keras_align(ins):
    """Keras' merge rule for inputs of different rank: axes of size 1 inserted after the batch axis."""
    rank = max(v.ndim for v in ins)
    out = []
    for v in ins:
        while v.ndim < rank:
            v = np.expand_dims(v, 1)
        out.append(v)
    return out


# ---------------------------------------------------------------------------------------------
# Fixture models.

def conv_transpose(base, name, cin, filters, k=(3, 3), strides=(1, 1), padding="valid", dilation=(1, 1),
                   output_padding=None, activation="linear", use_bias=True):
    rng = base.RNG
    w = [("kernel", rng.normal(0, 1.0 / math.sqrt(k[0] * k[1] * cin), (k[0], k[1], filters, cin)).astype(np.float32))]
    if use_bias:
        w.append(("bias", rng.normal(0, 0.1, (filters,)).astype(np.float32)))
    return base.layer("Conv2DTranspose", name, None, w, filters=filters, kernel_size=list(k), strides=list(strides),
                      padding=padding, output_padding=output_padding, dilation_rate=list(dilation),
                      data_format="channels_last", activation=activation, use_bias=use_bias)


def normalization(base, name, c, style, invert=False, in_config=False):
    rng = base.RNG
    mean = rng.normal(0.3, 0.5, (c,)).astype(np.float32)
    var = rng.uniform(0.3, 3.0, (c,)).astype(np.float32)
    axis = [-1] if style == "k2" else -1
    if in_config:
        return base.layer("Normalization", name, None, [], axis=axis, invert=invert,
                          mean=[float(v) for v in mean], variance=[float(v) for v in var])
    w = [("mean", mean), ("variance", var), ("count", np.int64(1000))]
    return base.layer("Normalization", name, None, w, axis=axis, invert=invert, mean=None, variance=None)


def chain(model, first, layers):
    prev = first
    for l in layers:
        l["inputs"] = [prev]
        model.append(l)
        prev = l["name"]
    return model


def conv_autoencoder(base, style):
    """Rescaling, Normalization (weights), Conv2D, Cropping2D, Conv2DTranspose (same / valid, strides,
    output_padding, dilation), UpSampling2D (bilinear and nearest)."""
    m = [base.input_layer("image", (9, 8, 3), "batch_input_shape" if style == "k2" else "batch_shape")]
    return chain(m, "image", [
        base.layer("Rescaling", "rescale", scale=0.5, offset=0.1),
        normalization(base, "norm", 3, style),
        base.conv("enc", 3, 6, (3, 3), (2, 2), "same", activation="relu"),           # 5 x 4 x 6
        base.layer("Cropping2D", "crop", cropping=[[1, 0], [0, 1]], data_format="channels_last"),  # 4 x 3
        conv_transpose(base, "dec1", 6, 5, (3, 3), (2, 2), "same", activation="relu"),  # 8 x 6 x 5
        base.layer("UpSampling2D", "up_bilinear", size=[2, 3], data_format="channels_last",
                   interpolation="bilinear"),                                          # 16 x 18
        conv_transpose(base, "dec2", 5, 4, (3, 2), (2, 2), "valid", output_padding=[1, 0],
                       activation="tanh"),                                             # 34 x 36 x 4
        base.layer("Cropping2D", "crop2", cropping=[[10, 13], [12, 14]], data_format="channels_last"),  # 11 x 10
        conv_transpose(base, "dec3", 4, 3, (2, 3), (1, 1), "valid", dilation=(2, 1), use_bias=False),  # 13 x 12
        base.layer("UpSampling2D", "up_nearest", size=[1, 2], data_format="channels_last",
                   interpolation="nearest"),
        conv_transpose(base, "dec4", 3, 2, (3, 3), (2, 2), "same", output_padding=[0, 1]),
    ]), (9, 8, 3)


def merge_model(base, style):
    """Functional: Conv1D, UpSampling1D, Cropping1D, Normalization (config statistics, invert),
    Multiply / Subtract / Average / Maximum, Permute, RepeatVector."""
    m = [base.input_layer("signal", (6, 3), "batch_input_shape" if style == "k2" else "batch_shape")]
    norm = normalization(base, "denorm", 3, style, invert=True, in_config=True)
    norm["inputs"] = ["signal"]
    m.append(norm)
    c1 = base.conv1d_layer("c1", 3, 4, 3, 1, "same", 1, "tanh", inputs=["denorm"])
    m.append(c1)
    m.append(base.layer("UpSampling1D", "up", inputs=["c1"], size=2))                         # 12 x 4
    m.append(base.layer("Cropping1D", "crop", inputs=["up"], cropping=[1, 3]))                # 8 x 4
    m.append(base.dense("d1", 4, 4, "sigmoid", inputs=["crop"]))
    m.append(base.dense("d2", 4, 4, "tanh", inputs=["crop"]))
    m.append(base.layer("Multiply", "mul", inputs=["d1", "d2", "crop"]))
    m.append(base.layer("Subtract", "sub", inputs=["d1", "d2"]))
    m.append(base.layer("Average", "avg", inputs=["mul", "sub", "d2"]))
    m.append(base.layer("Maximum", "max", inputs=["avg", "crop"]))
    m.append(base.layer("Permute", "perm", inputs=["max"], dims=[2, 1]))                      # 4 x 8
    m.append(base.dense("d3", 8, 3, "relu", inputs=["perm"]))                                 # 4 x 3
    m.append(base.layer("Flatten", "flat", inputs=["d3"], data_format="channels_last"))
    m.append(base.layer("RepeatVector", "rep", inputs=["flat"], n=3))                         # 3 x 12
    m.append(base.dense("out", 12, 2, "linear", inputs=["rep"]))
    return m, (6, 3)


def squeeze_excitation(base, style):
    """Functional, merges that broadcast (the MobileNetV3 / EfficientNet squeeze-excitation block):
    Multiply of (5, 4, 6) features by a (1, 1, 6) gate and by a (5, 1, 1) row gate, Add of a (1, 1, 6)
    shift, Subtract of a rank-1 (6,) vector (Keras inserts the axes after the batch axis), Maximum and
    Average of (5, 4, 6) with (1, 4, 1)."""
    m = [base.input_layer("image", (5, 4, 3), "batch_input_shape" if style == "k2" else "batch_shape")]
    m.append(base.conv("feat", 3, 6, (3, 3), (1, 1), "same", activation="relu", inputs=["image"]))
    m.append(base.layer("GlobalAveragePooling2D", "gap", inputs=["feat"], data_format="channels_last",
                        keepdims=False))
    m.append(base.dense("squeeze", 6, 3, "relu", inputs=["gap"]))
    m.append(base.dense("excite", 3, 6, "sigmoid", inputs=["squeeze"]))
    m.append(base.layer("Reshape", "gate", inputs=["excite"], target_shape=[1, 1, 6]))
    m.append(base.layer("Multiply", "scale", inputs=["feat", "gate"]))
    m.append(base.dense("rows", 6, 5, "sigmoid", inputs=["gap"]))
    m.append(base.layer("Reshape", "row_gate", inputs=["rows"], target_shape=[5, 1, 1]))
    m.append(base.layer("Multiply", "scale_rows", inputs=["row_gate", "scale"]))
    m.append(base.dense("shift_vec", 6, 6, "tanh", inputs=["gap"]))
    m.append(base.layer("Reshape", "shift", inputs=["shift_vec"], target_shape=[1, 1, 6]))
    m.append(base.layer("Add", "shifted", inputs=["scale_rows", "shift"]))
    m.append(base.layer("Subtract", "centred", inputs=["shifted", "excite"]))
    m.append(base.dense("cols", 6, 4, "linear", inputs=["gap"]))
    m.append(base.layer("Reshape", "col_floor", inputs=["cols"], target_shape=[1, 4, 1]))
    m.append(base.layer("Maximum", "floored", inputs=["centred", "col_floor"]))
    m.append(base.layer("Average", "mean", inputs=["col_floor", "floored", "gate"]))
    m.append(base.layer("Flatten", "flat", inputs=["mean"], data_format="channels_last"))
    m.append(base.dense("out", 120, 3, "softmax", inputs=["flat"]))
    return m, (5, 4, 3)


MERGE_CLASSES = ("Multiply", "Subtract", "Average", "Maximum")
NESTED_CLASSES = ("Sequential", "Functional", "Model")
NON_TRAINABLE = ("moving_mean", "moving_variance", "mean", "variance", "count")


def nested(base, cls, name, sub, functional):
    """A nested model layer. Its legacy .h5 weights: every inner weight named "<layer>/<role>",
    trainable ones first (as Keras' _legacy_weights lists them)."""
    inner = [(f"{l['name']}/{r}", a) for l in sub for r, a in l["weights"]]
    ordered = [w for w in inner if w[0].split("/")[-1] not in NON_TRAINABLE] + \
              [w for w in inner if w[0].split("/")[-1] in NON_TRAINABLE]
    l = base.layer(cls, name, None, ordered)
    l["sub"] = sub
    l["functional"] = functional
    return l


def nest_configs(config, model, style):
    """Replaces the config of every nested model entry by the inner model's config (recursively)."""
    body = config["config"]
    entries = body if isinstance(body, list) else body["layers"]
    for entry, l in zip(entries, model):
        if "sub" not in l:
            continue
        inner = model_config_nested(l["sub"], l["name"], style, l["functional"])
        entry["class_name"] = inner["class_name"]
        entry["config"] = inner["config"]
        if style == "k3":
            entry["module"] = "keras"
    return config


def model_config_nested(model, name, style, functional):
    import make_keras_fixtures as base  # the writer helpers (no state used)
    return nest_configs(base.model_config(model, name, style, functional), model, style)


def nested_models(base, style):
    """A Functional model using a nested Sequential (Conv2D, BatchNormalization, UpSampling2D, with
    its own InputLayer) and a nested Functional (Dense layers with a branch) as layers."""
    key = "batch_input_shape" if style == "k2" else "batch_shape"
    seq = chain([base.input_layer("seq_in", (4, 4, 2), key)], "seq_in", [
        base.conv("conv", 2, 3, (3, 3), padding="same", activation="relu"),
        base.batchnorm("bn", 3),
        base.layer("UpSampling2D", "up", size=[2, 2], data_format="channels_last", interpolation="nearest"),
        base.layer("Flatten", "flat", data_format="channels_last"),
    ])
    fun = [base.input_layer("head_in", (192,), key),
           base.dense("dense_a", 192, 6, "tanh", inputs=["head_in"]),
           base.dense("dense_b", 192, 6, "sigmoid", inputs=["head_in"]),
           base.layer("Multiply", "gate", inputs=["dense_a", "dense_b"]),
           base.dense("dense", 6, 4, "linear", inputs=["gate"])]
    m = [base.input_layer("image", (4, 4, 2), key)]
    enc = nested(base, "Sequential", "encoder", seq, False)
    enc["inputs"] = ["image"]
    head = nested(base, "Functional" if style == "k3" else "Model", "head", fun, True)
    head["inputs"] = ["encoder"]
    m += [enc, head, base.dense("dense", 4, 3, "softmax", inputs=["head"])]
    return m, (4, 4, 2)


def nested_sequential(base):
    """A Keras 2 Sequential whose first layer is a nested Sequential (the input comes from it)."""
    inner = chain([base.input_layer("inner_in", (5,), "batch_input_shape")], "inner_in", [
        base.dense("d1", 5, 7, "relu"), base.batchnorm("bn", 7), base.dense("d2", 7, 4, "elu")])
    return [nested(base, "Sequential", "block", inner, False), base.dense("out", 4, 2, "softmax")], (5,)


def emit_all(out, emit, base):
    """Writes the issue-15 fixtures through make_keras_fixtures' writers; returns their file names."""
    import os
    import zipfile
    files = []

    m, s = conv_autoencoder(base, "k2")
    base.write_legacy_h5(os.path.join(out, "k2_conv_autoencoder.h5"), m,
                         base.model_config(m, "sequential", "k2", False), "k2", "2.15.0")
    emit("k2_conv_autoencoder.h5", m, s, "Keras 2 Sequential conv autoencoder: Rescaling, Normalization, "
         "Cropping2D, Conv2DTranspose, UpSampling2D (bilinear, nearest)", keras2=True)
    m, s = conv_autoencoder(base, "k3")
    base.write_legacy_h5(os.path.join(out, "k33_conv_autoencoder.h5"), m,
                         base.model_config(m, "sequential", "k3", False), "k33", "3.3.3")
    emit("k33_conv_autoencoder.h5", m, s, "Keras 3.3 legacy .h5 conv autoencoder")
    base.write_keras_zip(os.path.join(out, "conv_autoencoder.keras"), m,
                         base.model_config(m, "functional", "k3", True), zipfile.ZIP_DEFLATED)
    emit("conv_autoencoder.keras", m, s, ".keras Functional conv autoencoder")
    files += ["k2_conv_autoencoder.h5", "k33_conv_autoencoder.h5", "conv_autoencoder.keras"]

    m, s = merge_model(base, "k2")
    base.write_legacy_h5(os.path.join(out, "k2_merges.h5"), m, base.model_config(m, "model", "k2", True), "k2",
                         "2.11.0", weightless_in_names=False)
    emit("k2_merges.h5", m, s, "Keras 2 Functional: UpSampling1D, Cropping1D, Normalization (config, invert), "
         "Multiply / Subtract / Average / Maximum, Permute, RepeatVector", keras2=True)
    m, s = merge_model(base, "k3")
    base.write_keras_zip(os.path.join(out, "merges.keras"), m, base.model_config(m, "functional", "k3", True),
                         zipfile.ZIP_STORED)
    emit("merges.keras", m, s, ".keras Functional merges, Permute, RepeatVector")
    files += ["k2_merges.h5", "merges.keras"]

    m, s = squeeze_excitation(base, "k2")
    base.write_legacy_h5(os.path.join(out, "k2_squeeze_excitation.h5"), m, base.model_config(m, "model", "k2", True),
                         "k2", "2.15.0", weightless_in_names=False)
    emit("k2_squeeze_excitation.h5", m, s, "Keras 2 Functional squeeze-excitation: broadcasting Multiply / Add / "
         "Subtract (rank 1 vs 3) / Maximum / Average", keras2=True)
    m, s = squeeze_excitation(base, "k3")
    base.write_keras_zip(os.path.join(out, "squeeze_excitation.keras"), m,
                         base.model_config(m, "functional", "k3", True), zipfile.ZIP_DEFLATED)
    emit("squeeze_excitation.keras", m, s, ".keras Functional squeeze-excitation with broadcasting merges")
    files += ["k2_squeeze_excitation.h5", "squeeze_excitation.keras"]

    for style, fname, writer in (("k2", "k2_nested.h5", "k2"), ("k3", "k33_nested.h5", "k33"),
                                 ("k3", "nested.keras", None)):
        m, s = nested_models(base, style)
        config = nest_configs(base.model_config(m, "outer", style, True), m, style)
        if writer:
            base.write_legacy_h5(os.path.join(out, fname), m, config, writer, "2.15.0" if style == "k2" else "3.3.3",
                                 model_name="outer", weightless_in_names=False)
        else:
            base.write_keras_zip(os.path.join(out, fname), m, config, zipfile.ZIP_DEFLATED)
        emit(fname, m, s, "nested Sequential and Functional models used as layers (" + style + ")",
             keras2=style == "k2")
        files.append(fname)
    m, s = nested_sequential(base)
    config = nest_configs(base.model_config(m, "sequential", "k2", False), m, "k2")
    base.write_legacy_h5(os.path.join(out, "k2_nested_sequential.h5"), m, config, "k2", "2.15.0")
    emit("k2_nested_sequential.h5", [base.input_layer("x", s)] + [dict(l, inputs=[p]) for l, p in
                                                                   zip(m, ["x", "block"])], s,
         "Keras 2 Sequential starting with a nested Sequential", keras2=True)
    files.append("k2_nested_sequential.h5")
    return files
