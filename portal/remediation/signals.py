"""Signals other apps listen to, so that remediation need not know who waits on a decision."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the decision's transaction with `action=ActionRequest` (already approved or rejected) and
# `approved=bool`. Receivers act in the same transaction: if one fails, the decision is not recorded either.
action_decided = Signal()
