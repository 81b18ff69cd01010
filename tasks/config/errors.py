"""Errors whose messages are safe to show: they name files and fields, never data values."""


class ClearanceError(Exception):
    """A user-facing error with a message that holds no identifying value."""


class InvalidRequest(ClearanceError):
    pass


class InvalidProfile(ClearanceError):
    pass


class MissingKey(ClearanceError):
    pass


def describe_validation_error(source: str, error: Exception) -> str:
    """Summarise a pydantic ValidationError as 'field: problem' lines without input values."""
    lines = [f"{source} is invalid:"]
    for detail in getattr(error, "errors", lambda: [])():
        where = ".".join(str(part) for part in detail.get("loc", ())) or "(top level)"
        lines.append(f"  - {where}: {detail.get('msg', 'invalid')}")
    if len(lines) == 1:
        lines.append(f"  - {type(error).__name__}")
    return "\n".join(lines)
