"""cluster_py_test: a Python test that runs a real farm on loopback through
tests/distributed/cluster.py. It gets the farm's binaries, the busybox
image maker and the PKI maker as its first five arguments, in that order."""

def cluster_py_test(name, srcs, main, size = "large", data = [], **kwargs):
    native.py_test(
        name = name,
        size = size,
        srcs = srcs + ["//tests/distributed:cluster.py"],
        args = [
            "$(location //client:farm)",
            "$(location //scheduler:farm-scheduler)",
            "$(location //worker:farm-worker)",
            "$(location //tests/fixtures:make_busybox_image.sh)",
            "$(location //tests/security:make_pki.sh)",
        ],
        data = data + [
            "//client:farm",
            "//scheduler:farm-scheduler",
            "//tests/fixtures:make_busybox_image.py",
            "//tests/fixtures:make_busybox_image.sh",
            "//tests/security:make_pki.sh",
            "//worker:farm-worker",
        ],
        main = main,
        python_version = "PY3",
        tags = ["no-sandbox"],
        **kwargs
    )
