"""Source control: repositories, commits and pull requests, behind one interface."""

from portal.integrations.source_control.base import PullRequest, Repository, SourceControl

__all__ = ["PullRequest", "Repository", "SourceControl", "source_control"]


def source_control() -> SourceControl:
    from portal.integrations.backends import backend

    impl: SourceControl = backend("SOURCE_CONTROL")
    return impl
