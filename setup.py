"""Build hooks the declarative pyproject.toml can't express: a wheel carries the top-level
templates/, static/ and migrations/ inside the package, and compiled translations."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BESIDE_THE_PACKAGE = ("templates", "static", "migrations")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        package = Path(self.build_lib) / "returns_portal"
        for name in BESIDE_THE_PACKAGE:
            shutil.copytree(
                HERE / name, package / name, dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )  # fmt: skip
        from babel.messages.frontend import compile_catalog  # a build requirement

        command = compile_catalog(self.distribution)
        command.directory = str(package / "translations")
        command.finalize_options()
        command.run()


setup(cmdclass={"build_py": BuildWithResources})
