"""The contracts the platform ships beside the portal: the XRDs and the Terraform modules' variables.tf.

`python -m portal.infra.contracts` writes them from the kinds catalogue; a test keeps the files equal.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.infra import crossplane, terraform
from portal.infra.kinds import KINDS
from portal.infra.renderers import DEFAULTS


def shipped_files() -> dict[Path, str]:
    group = DEFAULTS["INFRA_CROSSPLANE_GROUP"]
    files = {
        crossplane.XRD_DIR / f"{kind.name}.yaml": yaml.safe_dump(crossplane.xrd(kind, group=group), sort_keys=False)
        for kind in KINDS.values()
    }
    files.update(
        {terraform.MODULES_DIR / kind.name / "variables.tf": terraform.variables_tf(kind) for kind in KINDS.values()}
    )
    return files


def contracts_write() -> list[Path]:
    written = []
    for path, text in shipped_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    import django

    django.setup()
    for path in contracts_write():
        sys.stdout.write(f"{path}\n")
