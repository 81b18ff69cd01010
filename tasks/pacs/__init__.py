"""PACS connectivity: retrieve studies from a PACS, push a release to a research PACS.

See tasks/pacs/README.md for how a site configures it.
"""

from tasks.pacs.dimse import PacsError
from tasks.pacs.push import PushReport, push
from tasks.pacs.retrieve import RetrieveReport, retrieve
from tasks.pacs.spec import PacsDestination, PacsNode, PacsSource

__all__ = [
    "PacsDestination",
    "PacsError",
    "PacsNode",
    "PacsSource",
    "PushReport",
    "RetrieveReport",
    "push",
    "retrieve",
]
