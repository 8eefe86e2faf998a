"""Sequence-model fixtures for make_keras_fixtures.py: Embedding (mask_zero), SimpleRNN, LSTM, GRU
(reset_after both ways), TimeDistributed(Dense) and Dense over 3-D inputs, in the Keras 2 and 3
layouts, with an independent float64 numpy forward pass (Keras semantics: gate order LSTM i, f, c, o
and GRU z, r, h; masked steps keep the state and repeat the previous output, or output zeros with
zero_output_for_mask; go_backwards outputs in processing order).

Keras 3 stores a recurrent layer's variables in its cell (layers/lstm/cell/vars/0..2 in a .keras
archive; <model>/<layer>/<cell>/kernel in a legacy .h5) and a wrapper's in the wrapped layer
(layers/time_distributed/layer/vars); Keras 2 .h5 names them <layer>/<cell>/kernel:0.
"""

import math

import h5py
import numpy as np

CLASSES = ("Embedding", "SimpleRNN", "LSTM", "GRU", "TimeDistributed", "LayerNormalization", "Bidirectional",
           "Masking")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
CELL = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _act(name, x, keras2):
    if name in (None, "linear"):
        return x
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "hard_sigmoid":
        return np.clip(0.2 * x + 0.5, 0, 1) if keras2 else np.clip(x + 3.0, 0, 6) / 6.0
    if name == "relu":
        return np.maximum(x, 0)
    raise ValueError(name)


def output_mask(l, masks, ins):
    """The mask (batch, steps) a layer passes on (None: no mask); masks: by layer name."""
    cls, c = l["cls"], l["cfg"]
    ins_names = l["inputs"]
    if cls == "Embedding":
        return ins[0] != 0 if c.get("mask_zero") else None
    if cls == "Masking":  # replaces any incoming mask
        return np.any(ins[0] != c["mask_value"], axis=-1)
    src = masks.get(ins_names[0]) if ins_names else None
    if cls in ("Dropout", "Activation", "Dense", "TimeDistributed", "BatchNormalization", "LayerNormalization"):
        return src
    if cls == "MultiHeadAttention":  # Keras' default compute_mask: the query's
        return src
    if cls == "Add":  # merges and the masks (an unmasked input counts as all ones)
        found = [masks.get(n) for n in ins_names if masks.get(n) is not None]
        return np.logical_and.reduce(found) if found else None
    if cls in GATES and c.get("return_sequences"):
        return src
    if cls == "Bidirectional" and c["layer"]["config"].get("return_sequences"):
        return src
    return None


def forward_layer(l, ins, w, keras2, mask):
    """mask: (batch, steps) boolean or None."""
    cls, c = l["cls"], l["cfg"]
    x = ins[0]
    if cls == "Embedding":
        return w["embeddings"][x.astype(np.int64)]
    if cls == "Masking":
        return x * np.any(x != c["mask_value"], axis=-1, keepdims=True)
    if cls == "LayerNormalization":
        return _layer_norm(c, x, w)
    if cls == "Bidirectional":
        return _bidirectional(c, x, w, keras2, mask)
    if cls == "TimeDistributed":
        inner = c["layer"]["config"]
        return _act(inner["activation"], x @ w["kernel"] + w.get("bias", 0.0), keras2)
    return _recurrent(cls, c, x, w, keras2, mask)


def _layer_norm(c, x, w):
    """Keras: moments over `axis` (int or list, batch = 0, negative from the end); gamma / beta, of
    the shape of the normalised axes as listed, reshaped (not transposed) to broadcast."""
    axes = c["axis"] if isinstance(c["axis"], list) else [c["axis"]]
    axes = [a % x.ndim for a in axes]
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=tuple(axes), keepdims=True)
    y = (x - mean) / np.sqrt(var + c["epsilon"])
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
    if c["scale"]:
        y = y * w["gamma"].reshape(shape)
    if c["center"]:
        y = y + w["beta"].reshape(shape)
    return y


def _bidirectional(c, x, w, keras2, mask):
    """Keras: the wrapped layer, and a copy with go_backwards flipped whose returned sequence is
    reversed back; merged by merge_mode. Weights keyed "forward_<inner>/<cell>/<role>"."""
    inner = c["layer"]
    cls, cfg = inner["class_name"], inner["config"]
    back_cfg = c["backward_layer"]["config"] if c.get("backward_layer") else dict(cfg, go_backwards=not cfg.get(
        "go_backwards", False), name="backward_" + cfg["name"])

    def weights_of(prefix):
        return {k.split("/")[-1]: v for k, v in w.items() if k.startswith(prefix + "/")}

    y_f = _recurrent(cls, cfg, x, weights_of("forward_" + cfg["name"]), keras2, mask)
    y_b = _recurrent(cls, back_cfg, x, weights_of(back_cfg["name"]), keras2, mask)
    if cfg.get("return_sequences"):
        y_b = y_b[:, ::-1]
    mode = c.get("merge_mode", "concat")
    if mode == "concat":
        return np.concatenate([y_f, y_b], axis=-1)
    if mode == "sum":
        return y_f + y_b
    if mode == "ave":
        return (y_f + y_b) / 2
    if mode == "mul":
        return y_f * y_b
    raise ValueError(mode)


def _recurrent(cls, c, x, w, keras2, mask):
    batch, steps, _ = x.shape
    u = c["units"]
    K, U = w["kernel"], w["recurrent_kernel"]
    bias = w.get("bias", np.zeros(GATES[cls] * u))
    reset_after = cls == "GRU" and c.get("reset_after", True)
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    act = lambda v: _act(c.get("activation", "tanh"), v, keras2)  # noqa: E731
    gate = lambda v: _act(c.get("recurrent_activation", "sigmoid"), v, keras2)  # noqa: E731
    h = np.zeros((batch, u))
    cs = np.zeros((batch, u))
    outs = []
    order = range(steps - 1, -1, -1) if c.get("go_backwards") else range(steps)
    for t in order:
        xw = x[:, t] @ K + b_in
        hu = h @ U + b_rec
        if cls == "SimpleRNN":
            hn, cn = act(xw + hu), cs
        elif cls == "LSTM":
            i, f, g, o = (xw[:, j * u:(j + 1) * u] + hu[:, j * u:(j + 1) * u] for j in range(4))
            cn = gate(f) * cs + gate(i) * act(g)
            hn = gate(o) * act(cn)
        else:
            z = gate(xw[:, :u] + hu[:, :u])
            r = gate(xw[:, u:2 * u] + hu[:, u:2 * u])
            rec = r * hu[:, 2 * u:] if reset_after else (r * h) @ U[:, 2 * u:]
            hn = z * h + (1 - z) * act(xw[:, 2 * u:] + rec)
            cn = cs
        if mask is not None:
            keep = mask[:, t][:, None]
            hn = np.where(keep, hn, h)
            cn = np.where(keep, cn, cs)
            out = np.where(keep, hn, 0.0) if c.get("zero_output_for_mask") else hn
        else:
            out = hn
        h, cs = hn, cn
        outs.append(out)
    return np.stack(outs, axis=1) if c.get("return_sequences") else outs[-1]


# ---------------------------------------------------------------------------------------------
# Layer builders (same dict form as make_keras_fixtures.layer).

def _layer(cls, name, inputs, weights, **cfg):
    cfg = dict(cfg)
    cfg["name"] = name
    return {"cls": cls, "name": name, "cfg": cfg, "inputs": inputs or [], "weights": weights or []}


def _chain(m, layers):
    """Appends `layers` to model `m`, each fed by the one before (the first by m's last layer)."""
    prev = m[-1]["name"]
    for lay in layers:
        lay["inputs"] = [prev]
        m.append(lay)
        prev = lay["name"]
    return m


def embedding(rng, name, vocab, dim, mask_zero, inputs=None):
    w = [("embeddings", rng.normal(0, 1.0, (vocab, dim)).astype(np.float32))]
    return _layer("Embedding", name, inputs, w, input_dim=vocab, output_dim=dim, mask_zero=mask_zero,
                  embeddings_initializer="uniform")


def recurrent(rng, cls, name, n_in, units, inputs=None, **opts):
    g = GATES[cls] * units
    reset_after = cls == "GRU" and opts.get("reset_after", True)
    bias_shape = (2, g) if reset_after else (g,)
    w = [("kernel", rng.normal(0, 1.0 / math.sqrt(n_in), (n_in, g)).astype(np.float32)),
         ("recurrent_kernel", rng.normal(0, 1.0 / math.sqrt(units), (units, g)).astype(np.float32)),
         ("bias", rng.normal(0, 0.2, bias_shape).astype(np.float32))]
    cfg = {"units": units, "activation": "tanh", "use_bias": True, "return_sequences": False,
           "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
           "dropout": 0.0, "recurrent_dropout": 0.0}
    if cls != "SimpleRNN":
        cfg["recurrent_activation"] = "sigmoid"
    if cls == "LSTM":
        cfg["unit_forget_bias"] = True
    if cls == "GRU":
        cfg["reset_after"] = reset_after
    cfg.update(opts)
    cfg.pop("cell", None)
    lay = _layer(cls, name, inputs, w, **cfg)
    lay["cell"] = CELL[cls]  # variables live in the cell (h5 names, .keras groups)
    lay["nest"] = "cell"
    return lay


def time_distributed_dense(rng, name, n_in, units, activation, style, inputs=None):
    w = [("kernel", rng.normal(0, 1.0 / math.sqrt(n_in), (n_in, units)).astype(np.float32)),
         ("bias", rng.normal(0, 0.1, (units,)).astype(np.float32))]
    inner = {"class_name": "Dense", "config": {"name": name + "_dense", "units": units, "activation": activation,
                                               "use_bias": True, "trainable": True}}
    if style == "k3":
        inner["module"] = "keras.layers"
        inner["registered_name"] = None
    lay = _layer("TimeDistributed", name, inputs, w, layer=inner)
    lay["nest"] = "layer"
    return lay


def layer_norm(rng, name, param_shape, axis, center=True, scale=True, epsilon=1e-3, style="k3"):
    """param_shape: the input dims at `axis` in the listed order (Keras' gamma / beta shape)."""
    w = []
    if scale:
        w.append(("gamma", rng.uniform(0.5, 1.5, param_shape).astype(np.float32)))
    if center:
        w.append(("beta", rng.normal(0, 0.3, param_shape).astype(np.float32)))
    cfg = {"axis": axis, "epsilon": epsilon, "center": center, "scale": scale,
           "beta_initializer": {"class_name": "Zeros", "config": {}},
           "gamma_initializer": {"class_name": "Ones", "config": {}}}
    if style == "k3":
        cfg["rms_scaling"] = False
    return _layer("LayerNormalization", name, None, w, **cfg)


def bidirectional(rng, cls, name, n_in, units, merge_mode, style, **opts):
    """Bidirectional(cls(units)): tf.keras writes the wrapped layer only, Keras 3 also the
    backward_layer (go_backwards flipped, named backward_<inner>)."""
    inner_name = opts.pop("inner_name", cls.lower())
    fwd = recurrent(rng, cls, inner_name, n_in, units, **opts)
    bwd = recurrent(rng, cls, "backward_" + inner_name, n_in, units, **opts)
    bwd["cfg"]["go_backwards"] = not fwd["cfg"]["go_backwards"]

    def entry(lay):
        e = {"class_name": cls, "config": dict(lay["cfg"], trainable=True)}
        if style == "k3":
            e["module"] = "keras.layers"
            e["registered_name"] = None
            e["config"]["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                                    "registered_name": None}
        else:
            e["config"]["dtype"] = "float32"
        return e

    cfg = {"layer": entry(fwd), "merge_mode": merge_mode}
    if style == "k3":
        cfg["backward_layer"] = entry(bwd)
    weights = ([(f"forward_{inner_name}/{CELL[cls]}/{r}", a) for r, a in fwd["weights"]] +
               [(f"backward_{inner_name}/{CELL[cls]}/{r}", a) for r, a in bwd["weights"]])
    lay = _layer("Bidirectional", name, None, weights, **cfg)
    lay["zip_parts"] = [("forward_layer/cell", [a for _, a in fwd["weights"]]),
                        ("backward_layer/cell", [a for _, a in bwd["weights"]])]
    return lay


def token_ids(rng, count, steps, vocab):
    """Ids in [1, vocab) with trailing padding 0 of random length (at least one real token)."""
    ids = rng.integers(1, vocab, (count, steps))
    for b in range(count):
        ids[b, rng.integers(1, steps + 1):] = 0
    return ids.astype(np.float32)


def write_reference(path, forward, model, x, keras2=False):
    y = forward(model, x, keras2)
    with h5py.File(path + ".ref.h5", "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("y", data=y.astype(np.float32))


# ---------------------------------------------------------------------------------------------
# The models.

def text_classifier(rng, input_layer, style, early_keras2=False):
    """ids → Embedding(mask_zero) → LSTM(sequences) → TimeDistributed(Dense) → GRU → Dense."""
    steps, vocab = 7, 12
    gate = "hard_sigmoid" if early_keras2 else "sigmoid"
    m = [input_layer("tokens", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    chain = [
        embedding(rng, "embed", vocab, 6, True),
        recurrent(rng, "LSTM", "lstm", 6, 5, return_sequences=True, recurrent_activation=gate),
        time_distributed_dense(rng, "td", 5, 4, "relu", style),
        recurrent(rng, "GRU", "gru", 4, 5, reset_after=not early_keras2, go_backwards=True,
                  recurrent_activation=gate),
        _dense(rng, "head", 5, 3, "softmax"),
    ]
    prev = "tokens"
    for lay in chain:
        lay["inputs"] = [prev]
        m.append(lay)
        prev = lay["name"]
    return m, steps, vocab


def signal_rnn(rng, input_layer, style):
    """Frames → SimpleRNN(sequences, go_backwards) → Dense over 3-D → LSTM(sequences) → GRU."""
    steps, feats = 6, 3
    m = [input_layer("frames", (steps, feats), "batch_input_shape" if style == "k2" else "batch_shape")]
    chain = [
        recurrent(rng, "SimpleRNN", "rnn", feats, 4, return_sequences=True, go_backwards=True),
        _dense(rng, "proj", 4, 5, "tanh"),
        recurrent(rng, "LSTM", "lstm", 5, 4, return_sequences=True),
        recurrent(rng, "GRU", "gru", 4, 3, reset_after=True),
        _dense(rng, "out", 3, 2, "linear"),
    ]
    prev = "frames"
    for lay in chain:
        lay["inputs"] = [prev]
        m.append(lay)
        prev = lay["name"]
    return m, (steps, feats)


def masked_sequences(rng, input_layer, style):
    """Embedding(mask_zero) → SimpleRNN (zero_output_for_mask, sequences) → LSTM(go_backwards)."""
    steps, vocab = 6, 9
    m = [input_layer("ids", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    chain = [
        embedding(rng, "emb", vocab, 4, True),
        recurrent(rng, "SimpleRNN", "rnn", 4, 5, return_sequences=True, zero_output_for_mask=True),
        recurrent(rng, "LSTM", "lstm", 5, 3, go_backwards=True),
    ]
    prev = "ids"
    for lay in chain:
        lay["inputs"] = [prev]
        m.append(lay)
        prev = lay["name"]
    return m, steps, vocab


def normalised_text(rng, input_layer, style):
    """ids → Embedding(mask_zero) → LSTM(sequences) → LayerNormalization (last axis; the mask
    passes) → GRU → Dense. tf.keras writes the built layer's axis as a positive list ([2])."""
    steps, vocab = 6, 10
    m = [input_layer("tokens", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        embedding(rng, "embed", vocab, 5, True),
        recurrent(rng, "LSTM", "lstm", 5, 4, return_sequences=True),
        layer_norm(rng, "norm", (4,), [2] if style == "k2" else [-1], style=style),
        recurrent(rng, "GRU", "gru", 4, 3, reset_after=True),
        _dense(rng, "head", 3, 2, "softmax"),
    ])
    return m, steps, vocab


def normalised_frames(rng, input_layer, style):
    """Frames (5, 4) → LayerNormalization over both axes (listed backwards: gamma (4, 5) reshaped
    as Keras does) → Dense tanh → LayerNormalization over the step axis (no center, epsilon 0.01)
    → LSTM → LayerNormalization (no scale) → Dense."""
    steps, feats = 5, 4
    m = [input_layer("frames", (steps, feats), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        layer_norm(rng, "norm_all", (feats, steps), [2, 1] if style == "k2" else [-1, -2], style=style),
        _dense(rng, "proj", feats, 6, "tanh"),
        layer_norm(rng, "norm_steps", (steps,), [1], center=False, epsilon=0.01, style=style),
        recurrent(rng, "LSTM", "lstm", 6, 3),
        layer_norm(rng, "norm_last", (3,), -1, scale=False, style=style),
        _dense(rng, "out", 3, 2, "linear"),
    ])
    return m, (steps, feats)


def padded_frames(rng, count, steps, feats, mask_value):
    """Frames with trailing padding (every feature = mask_value) of random length, at least one
    real step, and one padded step inside the first sample."""
    x = rng.normal(0, 1, (count, steps, feats))
    for b in range(count):
        x[b, rng.integers(1, steps + 1):] = mask_value
    x[0, 1] = mask_value
    x[0, 0] = 0.0  # an all-zero frame counts unless the mask value is 0
    return x.astype(np.float32)


def masked_frames(rng, input_layer, style, mask_value):
    """Frames → Masking → LSTM(sequences) → Dense tanh over the steps (the mask passes) →
    GRU(sequences) → GlobalAveragePooling1D (the mean of the unmasked steps) → Dense."""
    steps, feats = 7, 3
    m = [input_layer("frames", (steps, feats), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        _layer("Masking", "mask", None, None, mask_value=mask_value),
        recurrent(rng, "LSTM", "lstm", feats, 5, return_sequences=True),
        _dense(rng, "proj", 5, 4, "tanh"),
        recurrent(rng, "GRU", "gru", 4, 3, return_sequences=True, reset_after=True),
        _layer("GlobalAveragePooling1D", "pool", None, None, data_format="channels_last", keepdims=False),
        _dense(rng, "out", 3, 2, "softmax"),
    ])
    return m, (steps, feats)


def bag_of_embeddings(rng, input_layer, style):
    """ids → Embedding(mask_zero) → GlobalAveragePooling1D (averages the real tokens only) →
    Dense: the classic fastText-style classifier."""
    steps, vocab = 8, 15
    m = [input_layer("tokens", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        embedding(rng, "embed", vocab, 6, True),
        _layer("GlobalAveragePooling1D", "pool", None, None, data_format="channels_last", keepdims=False),
        _dense(rng, "head", 6, 3, "softmax"),
    ])
    return m, steps, vocab


def bidirectional_text(rng, input_layer, style):
    """ids → Embedding(mask_zero) → Bidirectional(LSTM, sequences, concat; the mask passes) →
    Bidirectional(GRU, sum) → Dense."""
    steps, vocab = 6, 9
    m = [input_layer("tokens", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        embedding(rng, "embed", vocab, 4, True),
        bidirectional(rng, "LSTM", "bidi_lstm", 4, 3, "concat", style, return_sequences=True),
        bidirectional(rng, "GRU", "bidi_gru", 6, 3, "sum", style, reset_after=True),
        _dense(rng, "head", 3, 2, "softmax"),
    ])
    return m, steps, vocab


def bidirectional_frames(rng, input_layer, style):
    """Frames → Bidirectional(SimpleRNN, sequences, ave) → Bidirectional(LSTM, sequences, mul) →
    Bidirectional(GRU, reset_after=False, concat) → Dense."""
    steps, feats = 5, 3
    m = [input_layer("frames", (steps, feats), "batch_input_shape" if style == "k2" else "batch_shape")]
    _chain(m, [
        bidirectional(rng, "SimpleRNN", "bidi_rnn", feats, 4, "ave", style, return_sequences=True),
        bidirectional(rng, "LSTM", "bidi_lstm", 4, 4, "mul", style, return_sequences=True),
        bidirectional(rng, "GRU", "bidi_gru", 4, 2, "concat", style, reset_after=False),
        _dense(rng, "out", 4, 2, "linear"),
    ])
    return m, (steps, feats)


def _dense(rng, name, n_in, units, activation):
    w = [("kernel", rng.normal(0, 1.0 / math.sqrt(n_in), (n_in, units)).astype(np.float32)),
         ("bias", rng.normal(0, 0.1, (units,)).astype(np.float32))]
    return _layer("Dense", name, None, w, units=units, activation=activation, use_bias=True)


def emit_all(out, rng, fx, emit_entry):
    """fx: the make_keras_fixtures module; emit_entry(fname, description) records the manifest."""
    import os
    import zipfile

    def ids_ref(fname, m, steps, vocab, keras2):
        x = token_ids(rng, 4, steps, vocab)
        write_reference(os.path.join(out, fname), fx.forward, m, x, keras2)

    def frames_ref(fname, m, shape, keras2):
        x = rng.normal(0, 1, (3,) + tuple(shape)).astype(np.float32)
        write_reference(os.path.join(out, fname), fx.forward, m, x, keras2)

    m, steps, vocab = text_classifier(rng, fx.input_layer, "k2", early_keras2=True)
    fx.write_legacy_h5(os.path.join(out, "k2_text_lstm_gru.h5"), m, fx.model_config(m, "sequential", "k2", False),
                       "k2", "2.2.4")
    ids_ref("k2_text_lstm_gru.h5", m, steps, vocab, True)
    emit_entry("k2_text_lstm_gru.h5", "Keras 2.2 Embedding(mask_zero) LSTM/GRU (hard_sigmoid, reset_after=False), "
                                      "TimeDistributed(Dense)")

    m, steps, vocab = text_classifier(rng, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "text_lstm_gru.keras"), m, fx.model_config(m, "sequential", "k3", False),
                       zipfile.ZIP_DEFLATED)
    ids_ref("text_lstm_gru.keras", m, steps, vocab, False)
    emit_entry("text_lstm_gru.keras", ".keras LSTM/GRU variables under layers/<rnn>/cell/vars, "
                                      "TimeDistributed under layers/time_distributed/layer/vars")

    m, shape = signal_rnn(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_signal_rnn.h5"), m, fx.model_config(m, "model", "k2", True), "k2",
                       "2.15.0", weightless_in_names=False)
    frames_ref("k2_signal_rnn.h5", m, shape, True)
    emit_entry("k2_signal_rnn.h5", "tf.keras 2.15 Functional SimpleRNN/LSTM/GRU (reset_after) over float frames")

    m, shape = signal_rnn(rng, fx.input_layer, "k3")
    fx.write_legacy_h5(os.path.join(out, "k33_signal_rnn.h5"), m, fx.model_config(m, "functional", "k3", True),
                       "k33", "3.3.3", model_name="functional")
    frames_ref("k33_signal_rnn.h5", m, shape, False)
    emit_entry("k33_signal_rnn.h5", "Keras 3.3 legacy .h5 Functional recurrent layers (weight paths via the cell)")

    m, steps, vocab = masked_sequences(rng, fx.input_layer, "k3")
    fx.write_legacy_h5(os.path.join(out, "k31_masked_rnn.h5"), m, fx.model_config(m, "sequential", "k3", False),
                       "k31", "3.1.1")
    ids_ref("k31_masked_rnn.h5", m, steps, vocab, False)
    emit_entry("k31_masked_rnn.h5", "Keras 3.1 masking: zero_output_for_mask, go_backwards over padded ids")

    # LayerNormalization (gamma / beta by name in the .h5 layouts, vars/0..1 in .keras).
    m, steps, vocab = normalised_text(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_layer_norm_text.h5"), m, fx.model_config(m, "sequential", "k2", False),
                       "k2", "2.15.0")
    ids_ref("k2_layer_norm_text.h5", m, steps, vocab, True)
    emit_entry("k2_layer_norm_text.h5", "tf.keras 2.15 LayerNormalization (axis [2]) between masked LSTM and GRU")

    m, steps, vocab = normalised_text(rng, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "layer_norm_text.keras"), m, fx.model_config(m, "sequential", "k3", False),
                       zipfile.ZIP_DEFLATED)
    ids_ref("layer_norm_text.keras", m, steps, vocab, False)
    emit_entry("layer_norm_text.keras", ".keras LayerNormalization (axis [-1], rms_scaling false) in a masked stack")

    m, shape = normalised_frames(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_layer_norm_axes.h5"), m, fx.model_config(m, "model", "k2", True), "k2",
                       "2.15.0", weightless_in_names=False)
    frames_ref("k2_layer_norm_axes.h5", m, shape, True)
    emit_entry("k2_layer_norm_axes.h5", "tf.keras 2.15 Functional LayerNormalization over [2, 1], [1] and -1, "
                                        "center / scale off")

    # Bidirectional (Keras 2: weight names forward_<inner>/backward_<inner>; .keras forward_layer /
    # backward_layer groups).
    m, steps, vocab = bidirectional_text(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_bidirectional_text.h5"), m,
                       fx.model_config(m, "sequential", "k2", False), "k2", "2.15.0")
    ids_ref("k2_bidirectional_text.h5", m, steps, vocab, True)
    emit_entry("k2_bidirectional_text.h5", "tf.keras 2.15 Bidirectional LSTM (concat, sequences) and GRU (sum) "
                                           "over masked ids")
    m, steps, vocab = bidirectional_text(rng, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "bidirectional_text.keras"), m,
                       fx.model_config(m, "sequential", "k3", False), zipfile.ZIP_DEFLATED)
    ids_ref("bidirectional_text.keras", m, steps, vocab, False)
    emit_entry("bidirectional_text.keras", ".keras Bidirectional with backward_layer; variables under "
                                           "forward_layer/cell and backward_layer/cell")
    m, shape = bidirectional_frames(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_bidirectional_frames.h5"), m, fx.model_config(m, "model", "k2", True),
                       "k2", "2.15.0", weightless_in_names=False)
    frames_ref("k2_bidirectional_frames.h5", m, shape, True)
    emit_entry("k2_bidirectional_frames.h5", "tf.keras 2.15 Functional Bidirectional SimpleRNN (ave), LSTM (mul), "
                                             "GRU reset_after=False (concat)")
    m, shape = bidirectional_frames(rng, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "bidirectional_frames.keras"), m,
                       fx.model_config(m, "functional", "k3", True), zipfile.ZIP_STORED)
    frames_ref("bidirectional_frames.keras", m, shape, False)
    emit_entry("bidirectional_frames.keras", ".keras Functional Bidirectional ave / mul / concat")

    m, shape = normalised_frames(rng, fx.input_layer, "k3")
    fx.write_legacy_h5(os.path.join(out, "k33_layer_norm_axes.h5"), m, fx.model_config(m, "functional", "k3", True),
                       "k33", "3.3.3", model_name="functional")
    frames_ref("k33_layer_norm_axes.h5", m, shape, False)
    emit_entry("k33_layer_norm_axes.h5", "Keras 3.3 legacy .h5 LayerNormalization over [-1, -2], [1] and -1")

    # Masking over float frames, and GlobalAveragePooling1D averaging the unmasked steps only.
    def padded_ref(fname, m, shape, keras2, mask_value):
        x = padded_frames(rng, 4, shape[0], shape[1], mask_value)
        write_reference(os.path.join(out, fname), fx.forward, m, x, keras2)

    m, shape = masked_frames(rng, fx.input_layer, "k2", 0.0)
    fx.write_legacy_h5(os.path.join(out, "k2_masked_frames.h5"), m, fx.model_config(m, "sequential", "k2", False),
                       "k2", "2.15.0")
    padded_ref("k2_masked_frames.h5", m, shape, True, 0.0)
    emit_entry("k2_masked_frames.h5", "tf.keras 2.15 Masking (mask_value 0) → LSTM → Dense → GRU → masked "
                                      "GlobalAveragePooling1D")

    m, shape = masked_frames(rng, fx.input_layer, "k3", -1.0)
    fx.write_keras_zip(os.path.join(out, "masked_frames.keras"), m, fx.model_config(m, "sequential", "k3", False),
                       zipfile.ZIP_DEFLATED)
    padded_ref("masked_frames.keras", m, shape, False, -1.0)
    emit_entry("masked_frames.keras", ".keras Masking (mask_value -1; all-zero frames count) → LSTM → Dense → GRU "
                                      "→ masked GlobalAveragePooling1D")

    m, steps, vocab = bag_of_embeddings(rng, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_bag_of_embeddings.h5"), m,
                       fx.model_config(m, "sequential", "k2", False), "k2", "2.15.0")
    ids_ref("k2_bag_of_embeddings.h5", m, steps, vocab, True)
    emit_entry("k2_bag_of_embeddings.h5", "tf.keras 2.15 Embedding(mask_zero) → GlobalAveragePooling1D over the "
                                          "real tokens → Dense")

    m, steps, vocab = bag_of_embeddings(rng, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "bag_of_embeddings.keras"), m,
                       fx.model_config(m, "sequential", "k3", False), zipfile.ZIP_STORED)
    ids_ref("bag_of_embeddings.keras", m, steps, vocab, False)
    emit_entry("bag_of_embeddings.keras", ".keras Embedding(mask_zero) → masked GlobalAveragePooling1D → Dense")
