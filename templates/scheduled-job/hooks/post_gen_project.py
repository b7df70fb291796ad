"""Keep only the CI file of the chosen source control."""

import json
from pathlib import Path

SCM = json.loads({{ cookiecutter.scm | tojson | tojson }})
UNUSED_CI = {"github": [".gitlab-ci.yml"], "gitlab": [".github"]}

for unused in UNUSED_CI[SCM]:
    path = Path(unused)
    if path.is_dir():
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        path.rmdir()
    else:
        path.unlink()
