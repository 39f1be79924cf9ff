"""Typed errors carrying the service's RFC 9457 problem details."""
from __future__ import annotations

from typing import Any, Dict, Optional


class DataPlaneError(Exception):
    """A request the service answered with an error (or could not be reached)."""

    def __init__(self, status: int, title: str, detail: str, problem: Optional[Dict[str, Any]] = None):
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.problem = problem or {}


class BadRequest(DataPlaneError):
    """400: the request is malformed (a bad table name, a missing field, SQL that does not parse)."""


class AuthError(DataPlaneError):
    """401/403: no key, a revoked key, a missing scope, or another tenant's data."""


class NotFound(DataPlaneError):
    """404: no such table, snapshot, object or dataset for this tenant."""


class Conflict(DataPlaneError):
    """409: an Idempotency-Key reused with another body, an object key in use, files registered already."""


class Unprocessable(DataPlaneError):
    """422: records that do not fit the table, a checksum mismatch."""


class QuotaExceeded(DataPlaneError):
    """507: the tenant's storage quota would be passed."""


class Unavailable(DataPlaneError):
    """503/429 (or no connection) that persisted through every retry."""


class QueryTimeout(DataPlaneError):
    """504: the query ran longer than the service allows."""


_BY_STATUS = {400: BadRequest, 401: AuthError, 403: AuthError, 404: NotFound, 409: Conflict, 413: BadRequest,
              422: Unprocessable, 429: Unavailable, 503: Unavailable, 504: QueryTimeout, 507: QuotaExceeded}


def error_for(status: int, problem: Dict[str, Any]) -> DataPlaneError:
    kind = _BY_STATUS.get(status, DataPlaneError)
    return kind(status, str(problem.get("title", "Error")), str(problem.get("detail", "")), problem)
