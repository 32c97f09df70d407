#!/usr/bin/env python3
"""k-means against scikit-learn: the same data and initial centroids must
give the same inertia to 1e-6 relative. Skipped (exit 77) when no Python
here has scikit-learn (Debian: python3-sklearn)."""
import json
import os
import subprocess
import sys
import tempfile

CLI = sys.argv[1]

SKLEARN = r'''
import json, sys
import numpy as np
from sklearn.cluster import KMeans
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2, 3))
init = np.array(json.loads(sys.argv[2]))
km = KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=10000,
            tol=0.0, algorithm="lloyd").fit(data)
print(repr(float(km.inertia_)))
'''


def python_with_sklearn():
    for cand in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(cand):
            continue
        p = subprocess.run([cand, "-c", "import sklearn, numpy"],
                           capture_output=True)
        if p.returncode == 0:
            return cand
    return None


def main():
    py = python_with_sklearn()
    if not py:
        print("scikit-learn is not installed: skipped")
        return 77
    # real-sized, overlapping clusters (a deterministic generator)
    state = 2463534242

    def rnd():
        nonlocal state
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        return state / 4294967296.0

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "points.csv")
        rows = []
        with open(path, "w") as f:
            f.write("id,a,b,c\n")
            for i in range(20000):
                g = i % 6
                a = g * 3 + rnd() * 8
                b = (g % 3) * 4 + rnd() * 8
                c = rnd() * 10 + g
                rows.append((a, b, c))
                f.write(f"{i},{a!r},{b!r},{c!r}\n")
        init = [list(rows[i * 997]) for i in range(6)]
        spec = ";".join(",".join(repr(v) for v in r) for r in init)
        p = subprocess.run([CLI, "fit", path, "--summary", "--map", "id=id",
                            "--model", "kmeans", "--set", "features=a,b,c",
                            "--set", "standardize=0", "--set", "k=6",
                            "--set", "max_iter=10000", "--set", "tol=0",
                            "--set", "init=" + spec, "--json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        ours = json.loads(p.stdout)["inertia"]
        q = subprocess.run([py, "-c", SKLEARN, path, json.dumps(init)],
                           capture_output=True, text=True)
        if q.returncode != 0:
            sys.exit(q.stderr)
        theirs = float(q.stdout)
    rel = abs(ours - theirs) / theirs
    print(f"inertia: libsegment {ours!r}, scikit-learn {theirs!r}, "
          f"relative difference {rel:.2e}")
    return 0 if rel <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
