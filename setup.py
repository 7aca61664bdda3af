"""Build hook only (the project is declared in pyproject.toml): the wheel records the commit it was
built from in srllm/BUILD_COMMIT, so `srllm --version` names it outside a git checkout."""

import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCommit(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                    check=True).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                   capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return
        target = Path(self.build_lib) / "srllm" / "BUILD_COMMIT"
        if not target.parent.is_dir():  # an editable install builds no package folder; git answers there
            return
        target.write_text(f"{commit}{' dirty' if dirty else ''}\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithCommit})
