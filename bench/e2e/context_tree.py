"""A large build context for the upload benchmark: many files of pseudo-random
(incompressible) bytes in a fixed layout, the same bytes on every run, with
a Dockerfile that copies all of it, so both farm and Docker must send every
file on a first build."""

import os
import random

DOCKERFILE = "FROM busybox:latest\nCOPY . /ctx\n"


def file_path(root, index, dirs):
    return os.path.join(root, f"d{index % dirs:03d}", f"f{index:05d}.bin")


def make_tree(root, files, total_bytes, dirs=100, seed=1,
              dockerfile=DOCKERFILE):
    """Writes `files` files totalling `total_bytes` under `root` (sizes from
    half to one and a half times the mean) plus `dockerfile` as the
    Dockerfile, unless it is None. Returns the bytes written, Dockerfile
    excluded."""
    rng = random.Random(seed)
    weights = [0.5 + rng.random() for _ in range(files)]
    scale = total_bytes / sum(weights)
    sizes = [int(w * scale) for w in weights]
    sizes[-1] += total_bytes - sum(sizes)
    for d in range(min(dirs, files)):
        os.makedirs(os.path.join(root, f"d{d:03d}"), exist_ok=True)
    for i, size in enumerate(sizes):
        with open(file_path(root, i, dirs), "wb") as f:
            f.write(rng.randbytes(size))
    if dockerfile is not None:
        with open(os.path.join(root, "Dockerfile"), "w") as f:
            f.write(dockerfile)
    return sum(sizes)


def change_one(root, generation, index=7, dirs=100):
    """Gives file `index` new content of the same size; returns its size."""
    path = file_path(root, index, dirs)
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(random.Random(1000 + generation).randbytes(size))
    return size
