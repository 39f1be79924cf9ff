"""Python client of the Auraison data plane (standard library; pyarrow and pandas used when installed)."""
from .client import DataPlane, QueryResult
from .errors import (AuthError, BadRequest, Conflict, DataPlaneError, NotFound, QueryTimeout, QuotaExceeded, Unavailable,
                     Unprocessable)

__all__ = ["DataPlane", "QueryResult", "DataPlaneError", "BadRequest", "AuthError", "NotFound", "Conflict", "Unprocessable",
           "QuotaExceeded", "Unavailable", "QueryTimeout"]
