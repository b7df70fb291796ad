from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "portal.infra"
    label = "infra"
    verbose_name = "Self-service infrastructure: resource requests"

    def ready(self) -> None:
        from portal.catalog import entities
        from portal.infra.selectors import resource_annotations

        annotators = getattr(entities, "RESOURCE_ANNOTATORS", None)
        if annotators is not None and resource_annotations not in annotators:
            annotators.append(resource_annotations)
