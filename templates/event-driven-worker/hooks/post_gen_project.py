"""Keep only the CI file of the chosen source control and the adapter of the chosen broker."""

import json
from pathlib import Path

SCM = json.loads({{ cookiecutter.scm | tojson | tojson }})
BROKER = json.loads({{ cookiecutter.broker | tojson | tojson }})
UNUSED_CI = {"github": [".gitlab-ci.yml"], "gitlab": [".github"]}
ADAPTERS = {"redis-streams": "redis_streams", "rabbitmq": "rabbitmq", "kafka": "kafka"}


def remove(path: Path) -> None:
    if path.is_dir():
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        path.rmdir()
    else:
        path.unlink()


for unused in UNUSED_CI[SCM]:
    remove(Path(unused))
for broker, module in ADAPTERS.items():
    if broker != BROKER:
        remove(Path("src/app/sources", f"{module}.py"))
        remove(Path("tests", f"test_source_{module}.py"))
