"""Where studies come from and where a release goes: PACS nodes, sources and destinations.

Validated with pydantic (``extra="forbid"``) so a request naming a PACS is checked before
anything connects. Values here are network settings and study UIDs, never patient values
(a ``query`` may hold them: it is matched by the PACS and never logged by Clearance).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydicom.datadict import tag_for_keyword

# PS3.5 AE title: 1-16 characters of the default repertoire, no backslash, not only spaces.
AeTitle = Annotated[str, Field(pattern=r"^[ -\[\]-~]{1,16}$")]
Uid = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$", max_length=64)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$")]

# Keys a study-level query may not set: Clearance fills them in itself.
RESERVED_QUERY_KEYS = {"QueryRetrieveLevel", "StudyInstanceUID"}


class PacsTls(BaseModel):
    """DICOM TLS (PS3.15 Annex B) with pynetdicom's ``tls_args`` / ``ssl_context``.

    ``ca_file`` verifies the PACS's certificate; ``cert_file``/``key_file`` are Clearance's own
    certificate, sent when the PACS asks for one (mutual TLS) and required for C-MOVE, where
    the PACS connects to Clearance's Storage SCP."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    server_hostname: str | None = None  # name checked in the PACS certificate; default: host
    check_hostname: bool = True

    @model_validator(mode="after")
    def _pair(self) -> PacsTls:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both 'cert_file' and 'key_file', or neither")
        return self


class PacsNode(BaseModel):
    """A DICOM application entity: the PACS's address and AE title, and the AE title Clearance
    uses when it calls (and, for C-MOVE, the destination AE the PACS sends to)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    ae_title: AeTitle
    calling_ae: AeTitle = "CLEARANCE"
    tls: PacsTls | None = None

    @field_validator("ae_title", "calling_ae")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("AE title must not be only spaces")
        return value.strip()

    def describe(self) -> str:
        """Non-identifying label for logs and reports."""
        return f"{self.ae_title}@{self.host}:{self.port}"


class PacsSource(BaseModel):
    """Studies to retrieve: a list of StudyInstanceUIDs or a study-level query (keyword: value,
    DICOM matching rules: wildcards, date ranges)."""

    model_config = ConfigDict(extra="forbid")

    pacs: PacsNode
    studies: list[Uid] | None = Field(default=None, min_length=1)
    query: dict[str, str] | None = Field(default=None, min_length=1)
    method: Literal["c-get", "c-move", "dicomweb"] = "c-get"
    dicomweb_url: Url | None = None
    # C-MOVE: the PACS opens an association back to Clearance's Storage SCP; the PACS must list
    # ``pacs.calling_ae`` at this host/port (Orthanc: a DicomModalities entry).
    move_port: int | None = Field(default=None, ge=1, le=65535)
    move_bind: str = "127.0.0.1"
    timeout: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("studies")
    @classmethod
    def _unique_studies(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))

    @field_validator("query")
    @classmethod
    def _query_keywords(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        for key in value:
            if tag_for_keyword(key) is None:
                raise ValueError(f"query key {key!r} is not a DICOM keyword")
            if key in RESERVED_QUERY_KEYS:
                raise ValueError(f"query key {key!r} is set by Clearance; use 'studies' instead")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PacsSource:
        if (self.studies is None) == (self.query is None):
            raise ValueError("give exactly one of 'studies' or 'query'")
        if self.method == "dicomweb" and not self.dicomweb_url:
            raise ValueError("method 'dicomweb' needs 'dicomweb_url'")
        if self.method == "c-move" and self.move_port is None:
            raise ValueError(
                "method 'c-move' needs 'move_port' (where Clearance's Storage SCP listens; "
                "the PACS must know calling_ae at that address)"
            )
        if self.method == "c-move" and self.pacs.tls and not self.pacs.tls.cert_file:
            raise ValueError("C-MOVE over TLS needs pacs.tls.cert_file/key_file for the SCP")
        return self


class PacsDestination(BaseModel):
    """Where an approved release is pushed: a PACS by C-STORE or a DICOMweb server by STOW-RS."""

    model_config = ConfigDict(extra="forbid")

    pacs: PacsNode | None = None
    dicomweb_url: Url | None = None
    method: Literal["c-store", "stow-rs"] = "c-store"
    retries: int = Field(default=3, ge=0, le=20)
    retry_delay: float = Field(default=2.0, ge=0, le=600)  # seconds, doubled each round
    timeout: float = Field(default=60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _consistent(self) -> PacsDestination:
        if self.method == "c-store" and self.pacs is None:
            raise ValueError("method 'c-store' needs 'pacs'")
        if self.method == "stow-rs" and not self.dicomweb_url:
            raise ValueError("method 'stow-rs' needs 'dicomweb_url'")
        return self

    def describe(self) -> str:
        if self.method == "c-store" and self.pacs is not None:
            return f"c-store {self.pacs.describe()}"
        return f"stow-rs {self.dicomweb_url}"
