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

CLASSES = ("Embedding", "SimpleRNN", "LSTM", "GRU", "TimeDistributed")
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
    src = masks.get(ins_names[0]) if ins_names else None
    if cls in ("Dropout", "Activation", "Dense", "TimeDistributed", "BatchNormalization"):
        return src
    if cls in GATES and c.get("return_sequences"):
        return src
    return None


def forward_layer(l, ins, w, keras2, mask):
    """mask: (batch, steps) boolean or None."""
    cls, c = l["cls"], l["cfg"]
    x = ins[0]
    if cls == "Embedding":
        return w["embeddings"][x.astype(np.int64)]
    if cls == "TimeDistributed":
        inner = c["layer"]["config"]
        return _act(inner["activation"], x @ w["kernel"] + w.get("bias", 0.0), keras2)
    return _recurrent(cls, c, x, w, keras2, mask)


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
