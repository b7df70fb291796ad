"""The service package; SERVICE_NAME names it in traces, metrics and logs."""

SERVICE_NAME = {{ cookiecutter.name | tojson }}
__version__ = "0.1.0"
