#!/usr/bin/env python3
"""Independent check of Keras legacy .h5 files written by CirCNN Studio (writeKerasH5).

Loads MODEL.h5 the way Keras' legacy loader does (root model_config JSON; /model_weights
layer_names; each layer's weight_names resolved relative to its group), runs the numpy reference
forward pass of make_keras_fixtures.py on the `x` dataset of INPUT.h5 and writes `y` to
OUTPUT.h5. Usage: keras_h5_forward.py MODEL.h5 INPUT.h5 OUTPUT.h5
"""

import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_keras_fixtures import forward  # noqa: E402


def strings(attr):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.atleast_1d(attr)]


def load(path):
    with h5py.File(path, "r") as f:
        assert "keras_version" in f.attrs and "backend" in f.attrs
        config = json.loads(f.attrs["model_config"])
        version = f.attrs["keras_version"]
        keras2 = (version.decode() if isinstance(version, bytes) else str(version)).startswith("2")
        g = f["model_weights"]
        weights = {}
        for name in strings(g.attrs["layer_names"]):
            lg = g[name]
            wn = lg.attrs["weight_names"]
            names = strings(wn) if len(wn) else []
            weights[name] = [(n.split("/")[-1].split(":")[0], np.array(lg[n])) for n in names]
    cls = config["class_name"]
    model = []
    prev = None
    for entry in config["config"]["layers"]:
        cfg = entry["config"]
        name = cfg["name"]
        if cls == "Sequential":
            inputs = [prev] if prev else []
        else:
            nodes = entry.get("inbound_nodes") or []
            inputs = [t[0] for t in nodes[0]] if nodes else []
        model.append({"cls": entry["class_name"], "name": name, "cfg": cfg, "inputs": inputs,
                      "weights": weights.get(name, [])})
        prev = name
    return model, keras2


def main():
    model, keras2 = load(sys.argv[1])
    with h5py.File(sys.argv[2], "r") as f:
        x = np.array(f["x"])
    y = forward(model, x, keras2)
    with h5py.File(sys.argv[3], "w") as f:
        f.create_dataset("y", data=y.astype(np.float32))


if __name__ == "__main__":
    main()
