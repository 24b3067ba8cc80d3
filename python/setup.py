"""Builds Quiver's C library (the `QuiverC` product of the Swift package one folder up) and puts
it, with the default model file, inside the `quiver` package: `pip install ./python`.

The library is built with the Swift runtime linked in (`-Xswiftc -static-stdlib`), so the installed
package needs no Swift toolchain at run time — only libc, libm, libstdc++, libgcc_s and Debian's
liblmdb0, libsentencepiece0 and libxxhash0 (apt; `make deps` installs them with their -dev packages,
which the build needs). Environment: SWIFT (the swift binary), QUIVER_BUILD_PATH (Swift's build
folder; default `<repo>/.build-python`).
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_MODEL = "quiver-256d-pq-stateful-trained-vectors.qvm"


class BuildWithLibrary(build_py):
    """build_py, then `swift build` of libQuiverC.so into the package's _lib folder."""

    def run(self):
        super().run()
        if not (REPO / "Package.swift").exists():
            raise RuntimeError(f"the Quiver Swift package is not at {REPO}: build from a checkout (pip install ./python)")
        swift = os.environ.get("SWIFT", "swift")
        build_path = Path(os.environ.get("QUIVER_BUILD_PATH", REPO / ".build-python"))
        command = [swift, "build", "-c", "release", "--product", "QuiverC", "--package-path", str(REPO),
                   "--build-path", str(build_path), "-Xswiftc", "-static-stdlib"]
        print("building the Quiver library:", " ".join(command), flush=True)
        subprocess.run(command, check=True)
        target = Path(self.build_lib) / "quiver" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_path / "release" / "libQuiverC.so", target / "libQuiverC.so")
        shutil.copy2(REPO / "fixtures" / DEFAULT_MODEL, target / DEFAULT_MODEL)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: a platform wheel, not a pure one."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
