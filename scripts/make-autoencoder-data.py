#!/usr/bin/env python3
"""Synthetic data for 640-input anomaly-detection autoencoders (MLPerf Tiny ad01: 5 frames x 128
log-mel bins, flattened). No NumPy needed; writes a NumPy .npz with
  x: float32 (N, 640) in [-1, 1]   y: int32 (N,) 0 = normal, 1 = anomalous.
A normal sample is a smooth spectral envelope (three Gaussian bumps over the 128 bins, random
centres / widths / heights, scaled into [-1, 1]) repeated over the 5 frames with a slow drift and
small noise (sigma 0.05). An anomalous sample (every `--anomalous`-th) adds a narrow tonal line:
+0.8 on 2 adjacent bins in every frame. Seeded, so the files are reproducible.

  scripts/make-autoencoder-data.py OUT.npz --count N --seed S [--anomalous M]
"""
import argparse, io, math, random, struct, zipfile


def npy(shape, fmt, descr, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    out = io.BytesIO()
    out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    out.write(struct.pack("<%d%s" % (len(values), fmt), *values))
    return out.getvalue()


def sample(rng, anomalous):
    bumps = [(rng.uniform(0, 127), rng.uniform(4, 30), rng.uniform(0.3, 1.0)) for _ in range(3)]
    env = [sum(h * math.exp(-0.5 * ((b - c) / w) ** 2) for c, w, h in bumps) for b in range(128)]
    top = max(env)
    env = [2 * v / top - 1 for v in env]  # into [-1, 1]
    line = rng.randrange(0, 127)
    x = []
    for f in range(5):
        drift = 0.05 * (f - 2) * rng.uniform(-1, 1)
        for b in range(128):
            v = env[b] + drift + rng.gauss(0, 0.05)
            if anomalous and b in (line, line + 1):
                v += 0.8
            x.append(max(-1.0, min(1.0, v)))
    return x


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anomalous", type=int, default=0, help="every M-th sample is anomalous (0 = none)")
    a = p.parse_args()
    rng = random.Random(a.seed)
    xs, ys = [], []
    for i in range(a.count):
        bad = a.anomalous > 0 and i % a.anomalous == a.anomalous - 1
        xs.extend(sample(rng, bad))
        ys.append(1 if bad else 0)
    with zipfile.ZipFile(a.out, "w") as z:
        z.writestr("x.npy", npy((a.count, 640), "f", "<f4", xs))
        z.writestr("y.npy", npy((a.count,), "i", "<i4", ys))


if __name__ == "__main__":
    main()
