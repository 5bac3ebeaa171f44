"""The domain's refusals: one base class for every "the rules say no" of the portal.

A service raises a subclass of ``DomainError`` when a write is refused for a reason a
person can act on (the message is French, for the person who tried: the insured or the
conseiller). A caller that turns refusals into a message catches ``DomainError``, never a
bare ``ValueError``: a ``ValueError`` from a bug or from a library stays an error.

It derives from ``ValueError`` so that forms and views written against ``ValueError``
keep working while they move to ``DomainError``.
"""


class DomainError(ValueError):
    """A write the domain's rules refuse; ``str(error)`` is the French message for people."""
