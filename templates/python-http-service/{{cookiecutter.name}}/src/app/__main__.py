"""Run the service: `python -m app` (PORT, default 8080)."""

from __future__ import annotations

import os

import uvicorn

from app.main import create_app
from app.telemetry import configure_telemetry


def main() -> None:
    telemetry = configure_telemetry()
    try:
        uvicorn.run(
            create_app(telemetry=telemetry),
            host=os.environ.get("HOST", "0.0.0.0"),  # inside a container: the pod's network only
            port=int(os.environ.get("PORT", "8080")),
            log_config=None,  # keep the JSON logging set up by configure_telemetry
            access_log=False,  # requests are traced and counted instead
        )
    finally:
        telemetry.shutdown()


if __name__ == "__main__":
    main()
