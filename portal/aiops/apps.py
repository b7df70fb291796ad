from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "portal.aiops"
    label = "aiops"
    verbose_name = "AI Ops: anomalies, hypotheses and the knowledge base"
