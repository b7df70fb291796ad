"""Check the answers once more before any file is written (a replayed run skips the prompt-time check).

Values reach this code only as JSON string literals (`| tojson | tojson`), never as bare text.
"""

import json
import sys

sys.path.insert(0, json.loads({{ cookiecutter._repo_dir | tojson | tojson }}))

from event_driven_worker_inputs import GoldenPathInputError, validate_inputs  # noqa: E402

ANSWERS = json.loads({{ cookiecutter | tojson | tojson }})

try:
    validate_inputs({key: value for key, value in ANSWERS.items() if not key.startswith("_")})
except GoldenPathInputError as error:
    sys.exit(f"golden path: {error}")
