"""numpy/scipy side of the linalg benchmark.

Reads a JSON manifest on stdin: {"dir": ..., "cases": [{"name", "op", "file", "shape", "runs"}]},
each input a raw little-endian float64 row-major file. For each case it times the
decomposition alone (median of `runs`), then measures the same accuracy figures as the
TypeScript side, writes what the two sides compare (singular values, eigenvalues, the
Cholesky factor, |diag R|) next to the input as <file>.peer, and prints one JSON object
on stdout.
"""

import json
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.linalg as sla

DECOMPOSE = {
    "svd": lambda a: sla.svd(a, full_matrices=False, lapack_driver="gesdd"),
    "eigh": lambda a: sla.eigh(a),
    "cholesky": lambda a: sla.cholesky(a, lower=True),
    "qr": lambda a: sla.qr(a, mode="economic"),
}


def rel(x, ref):
    n = np.linalg.norm(ref)
    return float(np.linalg.norm(x - ref) / (n if n > 0 else 1.0))


def orth(q):
    return float(np.max(np.abs(q.T @ q - np.eye(q.shape[1]))))


def measure(op, a, f):
    """(what the sides compare, accuracy figures) for the factors f of a."""
    if op == "svd":
        u, s, vt = f
        return s, {"reconstruction": rel((u * s) @ vt, a), "orthogonality": max(orth(u), orth(vt.T))}
    if op == "eigh":
        w, v = f
        return w, {"residual": rel(a @ v, v * w), "orthogonality": orth(v)}
    if op == "cholesky":
        return f, {"reconstruction": rel(f @ f.T, a)}
    q, r = f
    return np.abs(np.diag(r)), {"reconstruction": rel(q @ r, a), "orthogonality": orth(q)}


def blas_libraries():
    """The BLAS/LAPACK shared objects actually loaded by this process."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = path.rsplit("/", 1)[-1]
            if ("blas" in name or "lapack" in name) and ".so" in name and "cpython" not in name:
                libs.add(name)
    return sorted(libs)


def main():
    manifest = json.load(sys.stdin)
    results = []
    for case in manifest["cases"]:
        op = case["op"]
        a = np.fromfile(f"{manifest['dir']}/{case['file']}", dtype="<f8").reshape(case["shape"])
        if case["runs"] > 1:
            DECOMPOSE[op](a)  # warm-up, as on our side
        times = []
        for _ in range(case["runs"]):
            t0 = time.perf_counter()
            factors = DECOMPOSE[op](a)
            times.append(time.perf_counter() - t0)
        compared, accuracy = measure(op, a, factors)
        np.ascontiguousarray(compared, dtype="<f8").tofile(f"{manifest['dir']}/{case['file']}.peer")
        results.append({"name": case["name"], "seconds": statistics.median(times), **accuracy})
    json.dump(
        {"numpy": np.__version__, "scipy": scipy.__version__, "blas": blas_libraries(), "results": results},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
