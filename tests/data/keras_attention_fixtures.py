"""MultiHeadAttention fixtures for make_keras_fixtures.py: a small Transformer encoder over masked
token ids and a causal cross-attention over float frames, in the Keras 2 (.h5), Keras 3
(.keras) and Keras >= 3.3 legacy (.h5) layouts, with an independent float64 numpy forward pass
(Keras semantics).

Keras semantics modelled (keras.layers.MultiHeadAttention, default attention_axes):
- projections are EinsumDense layers: query / key kernels (d, heads, key_dim), value kernel
  (d_v, heads, value_dim), biases (heads, dim), output kernel (heads, value_dim, out) + bias (out);
- scores = einsum(key, query / sqrt(key_dim)), softmax over the keys, weighted sum of the values;
- the attention mask is query_mask[:, :, None] & value_mask[:, None, :] & key_mask[:, None, :]
  (& the lower triangle with use_causal_mask); the key defaults to the value (and its mask with
  it); masked scores become -1e9 before the softmax (keras.layers.Softmax with a mask);
- the layer passes the query's mask on; GlobalAveragePooling1D averages over unmasked steps.
Weights: Keras 2 .h5 names them <mha>/query/kernel:0 ... <mha>/attention_output/bias:0; a .keras
archive keeps them in layers/multi_head_attention/_query_dense/vars/0..1, _key_dense,
_value_dense, _output_dense (the layer's own vars group is empty); a Keras >= 3.3 legacy .h5
names them by variable path, <model>/<mha>/query/kernel ... <model>/<mha>/attention_output/bias.
Keras records value / key and use_causal_mask as call arguments of the graph node.
"""

import math

import numpy as np

CLASSES = ("MultiHeadAttention",)
PROJECTIONS = (("query", "_query_dense"), ("key", "_key_dense"), ("value", "_value_dense"),
               ("attention_output", "_output_dense"))


def forward_layer(l, ins, w, masks):
    """masks: the (batch, steps) boolean mask of each input, or None."""
    c = l["cfg"]
    query, value = ins[0], ins[1]
    key = ins[2] if len(ins) > 2 else value
    q_mask, v_mask = masks[0], masks[1]
    k_mask = masks[2] if len(ins) > 2 else v_mask

    def proj(x, role):
        y = np.einsum("bsd,dhk->bshk", x, w[role + "/kernel"])
        return y + w[role + "/bias"] if c.get("use_bias", True) else y

    q = proj(query, "query") / math.sqrt(c["key_dim"])
    k = proj(key, "key")
    v = proj(value, "value")
    scores = np.einsum("bshk,bthk->bhts", k, q)
    batch, t, s = query.shape[0], query.shape[1], value.shape[1]
    visible = np.ones((batch, t, s), dtype=bool)
    if q_mask is not None:
        visible &= q_mask[:, :, None]
    if v_mask is not None:
        visible &= v_mask[:, None, :]
    if k_mask is not None:
        visible &= k_mask[:, None, :]
    if l.get("causal"):
        visible &= np.tril(np.ones((t, s), dtype=bool))[None]
    scores = np.where(visible[:, None], scores, -1e9)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    a = e / e.sum(axis=-1, keepdims=True)
    o = np.einsum("bhts,bshv->bthv", a, v)
    y = np.einsum("bthv,hvo->bto", o, w["attention_output/kernel"])
    return y + w["attention_output/bias"] if c.get("use_bias", True) else y


def _tensor(name):
    return {"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32",
                                                         "keras_history": [name, 0, 0]}}


def attention(rng, name, inputs, d_q, d_v, heads, key_dim, value_dim=None, d_k=None, output_shape=None,
              use_bias=True, causal=False, style="k3", value_as_kwarg=False):
    """inputs: [query, value] or [query, value, key] layer names."""
    d_k = d_v if d_k is None else d_k
    vd = key_dim if value_dim is None else value_dim
    out = d_q if output_shape is None else output_shape
    shapes = {"query": ((d_q, heads, key_dim), (heads, key_dim)), "key": ((d_k, heads, key_dim), (heads, key_dim)),
              "value": ((d_v, heads, vd), (heads, vd)), "attention_output": ((heads, vd, out), (out,))}
    weights, parts = [], []
    for role, dense in PROJECTIONS:
        k_shape, b_shape = shapes[role]
        fan_in = k_shape[0] if role != "attention_output" else heads * vd
        arrays = [rng.normal(0, 1.0 / math.sqrt(fan_in), k_shape).astype(np.float32)]
        weights.append((role + "/kernel", arrays[0]))
        if use_bias:
            arrays.append(rng.normal(0, 0.2, b_shape).astype(np.float32))
            weights.append((role + "/bias", arrays[1]))
        parts.append((dense, arrays))
    cfg = {"name": name, "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim, "dropout": 0.1,
           "use_bias": use_bias, "output_shape": output_shape,
           "attention_axes": [1] if style == "k2" else None,
           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
           "bias_initializer": {"class_name": "Zeros", "config": {}}}
    if style == "k2":
        cfg["query_shape"] = [None, None, d_q]
        cfg["value_shape"] = [None, None, d_v]
        cfg["key_shape"] = [None, None, d_k]
    else:
        cfg["seed"] = None

    def node(st):
        if st == "k2":  # the first argument, the rest as kwargs
            kwargs = {"value": [inputs[1], 0, 0]}
            if len(inputs) > 2:
                kwargs["key"] = [inputs[2], 0, 0]
            if causal:
                kwargs["use_causal_mask"] = True
            return [[[inputs[0], 0, 0, kwargs]]]
        kwargs = {"use_causal_mask": True} if causal else {}
        if value_as_kwarg:
            kwargs["value"] = _tensor(inputs[1])
            if len(inputs) > 2:
                kwargs["key"] = _tensor(inputs[2])
            return [{"args": [_tensor(inputs[0])], "kwargs": kwargs}]
        return [{"args": [_tensor(i) for i in inputs], "kwargs": kwargs}]

    return {"cls": "MultiHeadAttention", "name": name, "cfg": cfg, "inputs": list(inputs), "weights": weights,
            "zip_parts": parts, "node": node, "causal": causal}


# ---------------------------------------------------------------------------------------------
# The models (seqfix: keras_sequence_fixtures for the builders it shares).

def transformer_encoder(rng, seqfix, input_layer, style):
    """ids → Embedding(mask_zero) → MHA(self) → Add → LayerNormalization → Dense(relu) → Dense →
    Add → LayerNormalization → GlobalAveragePooling1D (masked mean) → Dense(softmax)."""
    steps, vocab, d = 6, 11, 8
    m = [input_layer("tokens", (steps,), "batch_input_shape" if style == "k2" else "batch_shape")]
    axis = [2] if style == "k2" else [-1]

    def add(name, a, b):
        return seqfix._layer("Add", name, [a, b], [])

    def dense(name, n_in, units, act, inp):
        lay = seqfix._dense(rng, name, n_in, units, act)
        lay["inputs"] = [inp]
        return lay

    def norm(name, inp):
        lay = seqfix.layer_norm(rng, name, (d,), axis, style=style)
        lay["inputs"] = [inp]
        return lay

    emb = seqfix.embedding(rng, "embed", vocab, d, True, inputs=["tokens"])
    m += [emb,
          attention(rng, "mha", ["embed", "embed"], d, d, 2, 4, style=style),
          add("add_1", "embed", "mha"),
          norm("norm_1", "add_1"),
          dense("ffn_1", d, 16, "relu", "norm_1"),
          dense("ffn_2", 16, d, "linear", "ffn_1"),
          add("add_2", "norm_1", "ffn_2"),
          norm("norm_2", "add_2"),
          seqfix._layer("GlobalAveragePooling1D", "pool", ["norm_2"], [], data_format="channels_last"),
          dense("head", d, 3, "softmax", "pool")]
    return m, steps, vocab


def causal_frames(rng, seqfix, input_layer, style):
    """Frames (5, 4) → Dense(6, tanh) "proj" → MHA(query proj, value frames, key proj;
    use_causal_mask, 3 heads, key_dim 2, value_dim 3, output_shape 5, no bias) → Dense(2)."""
    steps, feats = 5, 4
    m = [input_layer("frames", (steps, feats), "batch_input_shape" if style == "k2" else "batch_shape")]
    proj = seqfix._dense(rng, "proj", feats, 6, "tanh")
    proj["inputs"] = ["frames"]
    head = seqfix._dense(rng, "head", 5, 2, "linear")
    head["inputs"] = ["mha"]
    m += [proj,
          attention(rng, "mha", ["proj", "frames", "proj"], 6, feats, 3, 2, value_dim=3, d_k=6, output_shape=5,
                    use_bias=False, causal=True, style=style, value_as_kwarg=style == "k3"),
          head]
    return m, (steps, feats)


def emit_all(out, rng, fx, seqfix, emit_entry):
    import os
    import zipfile

    def ids_ref(fname, m, steps, vocab, keras2):
        x = seqfix.token_ids(rng, 4, steps, vocab)
        seqfix.write_reference(os.path.join(out, fname), fx.forward, m, x, keras2)

    def frames_ref(fname, m, shape, keras2):
        x = rng.normal(0, 1, (3,) + tuple(shape)).astype(np.float32)
        seqfix.write_reference(os.path.join(out, fname), fx.forward, m, x, keras2)

    m, steps, vocab = transformer_encoder(rng, seqfix, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_transformer_text.h5"), m, fx.model_config(m, "model", "k2", True), "k2",
                       "2.15.0", weightless_in_names=False)
    ids_ref("k2_transformer_text.h5", m, steps, vocab, True)
    emit_entry("k2_transformer_text.h5", "tf.keras 2.15 Transformer encoder: masked self-attention, Add, "
                                         "LayerNormalization, feed-forward, masked GlobalAveragePooling1D")
    m, steps, vocab = transformer_encoder(rng, seqfix, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "transformer_text.keras"), m, fx.model_config(m, "functional", "k3", True),
                       zipfile.ZIP_DEFLATED)
    ids_ref("transformer_text.keras", m, steps, vocab, False)
    emit_entry("transformer_text.keras", ".keras Transformer encoder; MultiHeadAttention variables under "
                                         "_query_dense / _key_dense / _value_dense / _output_dense")
    m, shape = causal_frames(rng, seqfix, fx.input_layer, "k2")
    fx.write_legacy_h5(os.path.join(out, "k2_attention_causal.h5"), m, fx.model_config(m, "model", "k2", True), "k2",
                       "2.15.0", weightless_in_names=False)
    frames_ref("k2_attention_causal.h5", m, shape, True)
    emit_entry("k2_attention_causal.h5", "tf.keras 2.15 causal cross-attention with a key, value_dim, "
                                         "output_shape, no bias")
    m, shape = causal_frames(rng, seqfix, fx.input_layer, "k3")
    fx.write_keras_zip(os.path.join(out, "attention_causal.keras"), m, fx.model_config(m, "functional", "k3", True),
                       zipfile.ZIP_STORED)
    frames_ref("attention_causal.keras", m, shape, False)
    emit_entry("attention_causal.keras", ".keras causal cross-attention, value and key passed as keyword arguments")
    # Keras >= 3.3 legacy .h5 (model.save("m.h5")): the Keras 3 config, and each weight named by its
    # variable path <model>/<mha>/<projection>/<kernel|bias> (the projections are EinsumDense layers
    # named query, key, value, attention_output inside the attention layer's scope), e.g.
    # functional/mha/query/kernel; the reader takes the last two components as the role.
    m, steps, vocab = transformer_encoder(rng, seqfix, fx.input_layer, "k3")
    fx.write_legacy_h5(os.path.join(out, "k33_transformer_text.h5"), m, fx.model_config(m, "functional", "k3", True),
                       "k33", "3.3.3", model_name="functional")
    ids_ref("k33_transformer_text.h5", m, steps, vocab, False)
    emit_entry("k33_transformer_text.h5", "Keras 3.3 legacy .h5 Transformer encoder; MultiHeadAttention weights "
                                          "functional/mha/query/kernel ... attention_output/bias")
    m, shape = causal_frames(rng, seqfix, fx.input_layer, "k3")
    fx.write_legacy_h5(os.path.join(out, "k33_attention_causal.h5"), m, fx.model_config(m, "functional", "k3", True),
                       "k33", "3.3.3", model_name="functional")
    frames_ref("k33_attention_causal.h5", m, shape, False)
    emit_entry("k33_attention_causal.h5", "Keras 3.3 legacy .h5 causal cross-attention (value and key as keyword "
                                          "arguments, no bias)")
