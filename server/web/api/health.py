"""GET /healthz: whether this node's services run, so a supervisor restarts a broken node.

200 when every one is up; 503 with the same body, saying which is not, otherwise. A node whose
event writer, rooms or control channel stopped, whose sandbox engine is gone, or (in a cluster)
whose Redis does not answer cannot serve sessions, even if the process still answers HTTP.
A cluster node submitting runs to `duet worker`s does not fail when no worker is connected:
that is not its fault, and restarting it would not help.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from server.channels.redis_fanout import RedisFanout
from server.web.api.schemas import Health
from server.web.auth import ServicesDep
from server.web.problems import Problem
from server.web.services import Services

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

#: A dependency that takes longer than this to answer counts as down.
CHECK_SECONDS = 5.0
OK = "ok"


@router.get(
    "/healthz",
    responses={503: {"model": Health, "description": "A service is not running."}, 500: {"model": Problem}},
    summary="Whether this node's services are running",
)
async def healthz(svc: ServicesDep) -> JSONResponse:
    database = await _database(svc)
    services = {
        "events": OK if svc.events.alive else "the event writer has stopped",
        "rooms": OK if svc.rooms.alive else "the room registry has stopped",
        "control": OK if svc.control.alive else "the control channel has stopped",
        "engine": await _engine(svc),
    }
    if isinstance(svc.fanout, RedisFanout):
        services["redis"] = await _redis(svc.fanout)
    healthy = database == OK and all(state == OK for state in services.values())
    body = Health(status=OK if healthy else "unavailable", database=database, services=services)
    if not healthy:
        logger.warning("health check failed: %s", body.model_dump())
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


async def _database(svc: Services) -> str:
    try:
        with anyio.fail_after(CHECK_SECONDS):
            await svc.db.ping()
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        return f"the database does not answer: {exc.__class__.__name__}"
    return OK


async def _engine(svc: Services) -> str:
    try:
        with anyio.fail_after(CHECK_SECONDS):
            status = await svc.executor.runner.status()
    except TimeoutError:
        return "the sandbox engine does not answer"
    return OK if status.serving else f"code cannot run: {status.reason}"


async def _redis(fanout: RedisFanout) -> str:
    try:
        with anyio.fail_after(CHECK_SECONDS):
            await fanout.ping()
    except (RedisError, OSError, TimeoutError, RuntimeError) as exc:
        return f"redis does not answer: {exc.__class__.__name__}"
    return OK
