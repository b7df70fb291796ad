"""Workflows: a runbook's steps run in order as one workflow (Argo Workflows, or in process), behind one interface."""

from portal.integrations.workflows.base import NodeStatus, WorkflowEngine, WorkflowRef, WorkflowStatus

__all__ = ["NodeStatus", "WorkflowEngine", "WorkflowRef", "WorkflowStatus", "workflow_engine"]


def workflow_engine() -> WorkflowEngine:
    from portal.integrations.backends import backend

    impl: WorkflowEngine = backend("WORKFLOWS")
    return impl
