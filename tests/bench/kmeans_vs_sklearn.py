#!/usr/bin/env python3
"""k-means on 1M customers with 3 log-standardised features (recency,
frequency, monetary), k = 8, n_init = 10: libsegment against scikit-learn's
KMeans in the same run. Reports both fit times and both inertias.

    kmeans_vs_sklearn.py BENCH [CUSTOMERS]
"""
import math
import os
import random
import subprocess
import sys
import tempfile
import time

SKLEARN = r'''
import sys, time
import numpy as np
from sklearn.cluster import KMeans
x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2, 3))
t0 = time.time()
km = KMeans(n_clusters=8, n_init=10, random_state=42).fit(x)
print("%.6f %.10g" % (time.time() - t0, km.inertia_))
'''


def main():
    bench = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    py = None
    for cand in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(cand) and subprocess.run(
                [cand, "-c", "import sklearn"], capture_output=True
        ).returncode == 0:
            py = cand
            break
    if not py:
        print("scikit-learn is not installed: skipped")
        return 77
    rng = random.Random(7)
    rows = []
    for i in range(n):
        recency = rng.expovariate(1 / 90)
        frequency = 1 + int(rng.expovariate(1 / 3))
        monetary = math.exp(rng.gauss(4, 1))
        rows.append((math.log1p(recency), math.log1p(frequency),
                     math.log1p(monetary)))
    # standardise in Python, so both sides cluster the same numbers
    cols = list(zip(*rows))
    stats = []
    for c in cols:
        mu = sum(c) / n
        sd = math.sqrt(sum((v - mu) ** 2 for v in c) / n)
        stats.append((mu, sd))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "rfm.csv")
        with open(path, "w") as f:
            f.write("id,r,f,m\n")
            for i, r in enumerate(rows):
                z = [(v - mu) / sd for v, (mu, sd) in zip(r, stats)]
                f.write(f"{i},{z[0]!r},{z[1]!r},{z[2]!r}\n")
        ours = subprocess.run([bench, "kmeans", path, "8", "10"],
                              capture_output=True, text=True, check=True)
        theirs = subprocess.run([py, "-c", SKLEARN, path],
                                capture_output=True, text=True, check=True)
    t1, i1 = map(float, ours.stdout.split())
    t2, i2 = map(float, theirs.stdout.split())
    print(f"libsegment:   {t1:.2f} s, inertia {i1:.6g}")
    print(f"scikit-learn: {t2:.2f} s, inertia {i2:.6g}")
    print(f"libsegment is {t2 / t1:.1f}x faster (target 3x); inertia "
          f"{(i1 - i2) / i2 * 100:+.3f}% (target within 0.1%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
