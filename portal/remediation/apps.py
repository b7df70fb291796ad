from django.apps import AppConfig


class RemediationConfig(AppConfig):
    name = "portal.remediation"
    label = "remediation"
    verbose_name = "Remediation: runbooks, action requests and approvals"
