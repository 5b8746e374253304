"""Routes for connections: connect, list, show, check, replace credentials, remove, balances, history.

What belongs here: the HTTP shape of `services.connections` (status codes, the report embedded in every
verification answer, pagination). What does not: the rules (services.connections).
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["connections"])
