from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "portal.infra"
    label = "infra"
    verbose_name = "Self-service infrastructure: resource requests"

    def ready(self) -> None:
        from portal.catalog import entities
        from portal.infra.selectors import resource_annotations
        from portal.infra.services import on_action_decided
        from portal.remediation.signals import action_decided

        action_decided.connect(on_action_decided, dispatch_uid="infra-approval-refused")
        annotators = getattr(entities, "RESOURCE_ANNOTATORS", None)
        if annotators is not None and resource_annotations not in annotators:
            annotators.append(resource_annotations)
