"""Signals of the register that apps above it react to (the register imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction of ``insured_change_identity``, with ``insured``, ``labels``
# (the changed fields' names), ``lines`` (each change, the NIR masked) and ``reason``.
# The messaging app posts the notice in the person's box.
identity_changed = Signal()
