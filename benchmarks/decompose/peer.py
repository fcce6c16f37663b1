"""TensorLy side of the decomposition benchmark.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-scipy) and PYTHONPATH set to a
checkout of the tensorly repository (run.ts does both). Reads a JSON manifest on stdin:

    {"dir": ..., "cases": [{"name", "op", "file", "shape", "rank", "iterations", "runs"}]}

each input a raw little-endian float64 row-major file. For each case it times the
decomposition alone (median of `runs`), then reconstructs the result and measures the
relative error ||X - X^||_F / ||X||_F, and prints one JSON object on stdout. With an empty
case list it only reports the versions.

  cp       parafac(X, rank, n_iter_max=iterations, init='svd', tol=0,
           svd=capped_truncated_svd): exactly `iterations` ALS sweeps (tol=0 skips the
           convergence test), no line search
  tucker2  partial_tucker(X, rank=(R1, R2), modes=[0, 1], n_iter_max=iterations,
           init='svd', tol=0): HOSVD, then exactly `iterations` HOOI sweeps
  tt       tensor_train(X, rank=[1, r, ..., r, 1]) (TT-SVD; ranks clipped to the unfoldings)
  tr       tensor_ring(X, rank=[R_0, ..., R_{d-1}, R_0], mode=0) (TR-SVD)

Every SVD is TensorLy's default, truncated_svd (LAPACK gesdd via numpy, then truncated).
For CP's SVD init it is called through `capped_truncated_svd`: where the rank exceeds a
mode's size (64 > 3 here), truncated_svd asks numpy for full_matrices=True, whose V of the
3 x 196608 unfolding would be 196608 x 196608 (288 GiB); capping the vectors asked for at
min(shape) gives the same U and S, and TensorLy then appends its random columns as usual.
"""

import json
import statistics
import sys
import time

import numpy as np
import tensorly as tl
from tensorly.decomposition import parafac, partial_tucker, tensor_ring, tensor_train
from tensorly.tenalg import multi_mode_dot
from tensorly.tenalg.svd import truncated_svd

tl.set_backend("numpy")


def capped_truncated_svd(matrix, n_eigenvecs=None, **kwargs):
    """truncated_svd, never asking for more vectors than min(matrix.shape)."""
    if n_eigenvecs is not None:
        n_eigenvecs = min(n_eigenvecs, *tl.shape(matrix))
    return truncated_svd(matrix, n_eigenvecs=n_eigenvecs, **kwargs)


def cp(x, case):
    result = parafac(
        x,
        case["rank"],
        n_iter_max=case["iterations"],
        init="svd",
        svd=capped_truncated_svd,
        tol=0,
        linesearch=False,
        random_state=0,
    )
    return result, case["iterations"]


def cp_rebuild(result):
    return tl.cp_to_tensor(result)


def tucker2(x, case):
    (core, factors), errors = partial_tucker(
        x,
        rank=list(case["rank"]),
        modes=[0, 1],
        n_iter_max=case["iterations"],
        init="svd",
        tol=0,
        random_state=0,
    )
    return (core, factors), len(errors)


def tucker2_rebuild(result):
    core, factors = result
    return multi_mode_dot(core, factors, modes=[0, 1])


def tt(x, case):
    d = x.ndim
    return tensor_train(x, rank=[1] + [case["rank"]] * (d - 1) + [1]), None


def tr(x, case):
    ranks = list(case["rank"])
    return tensor_ring(x, rank=ranks + [ranks[0]], mode=0), None


OPS = {
    "cp": (cp, cp_rebuild),
    "tucker2": (tucker2, tucker2_rebuild),
    "tt": (tt, tl.tt_to_tensor),
    "tr": (tr, tl.tr_to_tensor),
}


def ranks_of(op, result):
    """The ranks the result actually has (after any clipping)."""
    if op == "cp":
        return [int(result.rank)]
    if op == "tucker2":
        return [int(f.shape[1]) for f in result[1]]
    return [int(f.shape[0]) for f in result]


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
        decompose, rebuild = OPS[op]
        x = np.fromfile(f"{manifest['dir']}/{case['file']}", dtype="<f8").reshape(case["shape"])
        times = []
        for _ in range(case["runs"]):
            t0 = time.perf_counter()
            result, iterations = decompose(x, case)
            times.append(time.perf_counter() - t0)
        approx = rebuild(result)
        error = float(np.linalg.norm(x - approx) / np.linalg.norm(x))
        results.append(
            {
                "name": case["name"],
                "seconds": statistics.median(times),
                "relativeError": error,
                "iterations": iterations,
                "ranks": ranks_of(op, result),
            }
        )
    json.dump(
        {
            "tensorly": tl.__version__,
            "tensorlyPath": tl.__file__,
            "numpy": np.__version__,
            "blas": blas_libraries(),
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
