"""GET /healthz: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from server.errors import Unavailable
from server.web.api.schemas import Health
from server.web.auth import ServicesDep
from server.web.problems import Problem

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"model": Problem}}, summary="Liveness and database check")
async def healthz(svc: ServicesDep) -> Health:
    try:
        await svc.db.ping()
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("health check: database unreachable: %s", exc)
        raise Unavailable("the database does not answer") from exc
    return Health(status="ok", database="ok")
