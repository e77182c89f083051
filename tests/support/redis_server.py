"""Real Redis for tests: a URL from DUET_TEST_REDIS_URL and a unique key prefix per test."""

from __future__ import annotations

import os
import secrets

import redis

from tests.support.prerequisites import missing

REDIS_ENV = "DUET_TEST_REDIS_URL"


def redis_url() -> str:
    url = os.environ.get(REDIS_ENV, "")
    if not url:
        missing(f"{REDIS_ENV} is not set (e.g. redis://127.0.0.1:6379/0)")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        missing(f"Redis at {url} does not answer: {exc}")
    return url


def unique_prefix() -> str:
    return f"duet-test-{secrets.token_hex(6)}"
