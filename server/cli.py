"""The `duet` command: serve, worker, migrate, user, apikey, runtime, challenge. Logging is configured
here and only here."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from server import __version__
from server.accounts.models import OrgRole
from server.errors import ConfigurationError, DuetError
from server.settings import Settings

if TYPE_CHECKING:
    from server.accounts.service import AccountService

logger = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``; every record, whichever logger makes it, has its tokens hidden."""
    from server.web.redaction import install_log_redaction

    install_log_redaction()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
            },
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"handlers": ["stderr"], "level": level.upper()},
            "loggers": {
                "uvicorn.access": {"level": "WARNING"},
                # picows logs every connection and disconnection; the access log has one line
                "server.web.ws.picows": {"level": "WARNING"},
                "aiosqlite": {"level": "WARNING"},
                "alembic": {"level": "WARNING"},
            },
        }
    )


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from server.web.app import create_app, server_options

    if args.host:
        settings = replace(settings, host=args.host)
    if args.port:
        settings = replace(settings, port=args.port)
    config = uvicorn.Config(
        create_app(settings), **server_options(settings, forwarded_allow_ips=args.forwarded_allow_ips)
    )
    logger.info("Duet %s listening on http://%s:%s", __version__, settings.host, settings.port)
    uvicorn.Server(config).run()
    return 0


async def _worker(settings: Settings, args: argparse.Namespace) -> int:
    import signal

    import anyio

    from server.exec.dispatch.choice import open_run_queue, serving_worker

    if not settings.redis_url:
        raise ConfigurationError("duet worker takes runs from Redis: set DUET_REDIS_URL")
    if args.slots:
        settings = replace(settings, exec_slots=args.slots)
    async with open_run_queue(settings) as queue, serving_worker(settings, queue) as worker:
        if worker is None:
            print("duet: no sandbox engine works on this host (see the log above)", file=sys.stderr)
            return 1
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                logger.info("stopping: no new runs; waiting for the running ones to finish")
                break
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from server.store.database import Database
    from server.store.migrate import upgrade

    async with Database(settings.effective_database_url) as db:
        revision = await upgrade(db)
    print(f"database at revision {revision}")
    return 0


async def _with_accounts(settings: Settings, action: Callable[[AccountService], Awaitable[int]]) -> int:
    """Only the database and the accounts service: a one-row command starts nothing else."""
    from server.web.account_services import running_accounts

    async with running_accounts(settings) as accounts:
        return await action(accounts)


async def _user_create(settings: Settings, args: argparse.Namespace) -> int:
    async def action(accounts: AccountService) -> int:
        org = await accounts.default_organization()
        user = await accounts.create_user(
            org_id=org.id,
            email=args.email,
            password=args.password,
            role=OrgRole(args.role),
            display_name=args.name or "",
        )
        print(f"created {user.role.value} {user.email} in organization {org.name!r}")
        return 0

    return await _with_accounts(settings, action)


async def _user_password(settings: Settings, args: argparse.Namespace) -> int:
    async def action(accounts: AccountService) -> int:
        user = await accounts.user_by_email(args.email)
        await accounts.set_password(user.id, args.password)
        print(f"password changed for {user.email}; their browser sessions were signed out")
        return 0

    return await _with_accounts(settings, action)


async def _apikey_create(settings: Settings, args: argparse.Namespace) -> int:
    async def action(accounts: AccountService) -> int:
        user = await accounts.user_by_email(args.email)
        _, token = await accounts.create_api_key(user, args.name or "")
        print(token)
        return 0

    return await _with_accounts(settings, action)


def _runtime_build(settings: Settings, args: argparse.Namespace) -> int:
    from server.exec.runtime.rootfs import build_rootfs

    cache_dir = Path(args.cache_dir) if args.cache_dir else settings.effective_runtime_cache
    built = build_rootfs(cache_dir)
    print(built.path)
    print(f"size {built.size_bytes / 2**20:.0f} MiB, built in {built.build_seconds:.0f} s", file=sys.stderr)
    for language, version in sorted(built.versions.items()):
        print(f"  {language:<11} {version}", file=sys.stderr)
    return 0


def _runtime_prune(settings: Settings, args: argparse.Namespace) -> int:
    from server.exec.runtime.rootfs import build_rootfs, prune_rootfs

    cache_dir = Path(args.cache_dir) if args.cache_dir else settings.effective_runtime_cache
    for path in prune_rootfs(cache_dir, build_rootfs(cache_dir)):
        print(f"removed {path}")
    return 0


def _runtime_dockerfile(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from server.exec.runtime.dockerfile import DOCKERFILE_PATH, render_dockerfile
    from server.exec.runtime.languages import load_catalogue

    path = Path(DOCKERFILE_PATH)
    wanted = render_dockerfile(load_catalogue())
    if args.check:
        if not path.is_file() or path.read_text() != wanted:
            print(f"duet: {path} is out of date; run `duet runtime dockerfile`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(wanted)
    print(path)
    return 0


async def _challenge_validate(settings: Settings, args: argparse.Namespace) -> int:
    import anyio

    from server.exec.runtime.languages import load_catalogue
    from server.hiring.judging import local_judge
    from server.hiring.library import prove, scan_path

    catalogue = load_catalogue()
    check = await anyio.to_thread.run_sync(scan_path, Path(args.path), catalogue)
    runs = 0
    if not args.no_run and check.runnable:
        async with local_judge(settings, catalogue, args.jobs) as judge:
            await prove(check, judge)
        runs = sum(challenge.runs for challenge in check.challenges)
    for line in check.lines():
        print(line, file=sys.stderr)
    for challenge in check.challenges:
        ran = "" if args.no_run else f" ({challenge.runs} sandbox runs)"
        print(f"  {challenge.folder.name}: {'ok' if challenge.ok else 'FAILED'}{ran}")
    for assessment in check.assessments:
        print(
            f"  {assessment.path.name}: {'ok' if assessment.spec and not assessment.problems else 'FAILED'}"
        )
    problems = len(check.lines())
    print(
        f"{len(check.challenges)} challenge(s), {len(check.assessments)} assessment(s), "
        f"{runs} sandbox run(s): " + ("valid" if check.ok else f"{problems} problem(s)")
    )
    return 0 if check.ok else 1


async def _challenge_import(settings: Settings, args: argparse.Namespace) -> int:
    import anyio

    from server.exec.runtime.languages import load_catalogue
    from server.hiring.content_repository import ContentRepository
    from server.hiring.judging import local_judge
    from server.hiring.library import prove, scan_path
    from server.store.account_repository import SqlAccountRepository
    from server.store.database import Database
    from server.store.migrate import upgrade

    catalogue = load_catalogue()
    check = await anyio.to_thread.run_sync(scan_path, Path(args.path), catalogue)
    if check.ok and check.runnable:  # nothing is imported that was not proven in the sandbox
        async with local_judge(settings, catalogue, args.jobs) as judge:
            await prove(check, judge)
    if not check.ok:
        for line in check.lines():
            print(line, file=sys.stderr)
        print(
            "nothing imported: fix the problems above (`duet challenge validate` says the same)",
            file=sys.stderr,
        )
        return 1
    async with Database(settings.effective_database_url) as db:
        await upgrade(db)
        org = await SqlAccountRepository(db).first_organization()
        if org is None:
            print("duet: no organization yet: create a member first (duet user create)", file=sys.stderr)
            return 1
        content = ContentRepository(db)
        for challenge in check.challenges:
            assert challenge.challenge is not None
            done = await content.import_challenge(
                org.id, challenge.challenge, challenge.files, challenge.expected_tests
            )
            print(f"challenge {done.slug}: version {done.number}" + ("" if done.created else " (unchanged)"))
        for assessment in check.assessments:
            assert assessment.spec is not None
            done = await content.import_assessment(org.id, assessment.spec, assessment.text)
            print(f"assessment {done.slug}: version {done.number}" + ("" if done.created else " (unchanged)"))
    return 0


def _challenge_schema(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from server.hiring.assessment_schema import ASSESSMENT_SCHEMA
    from server.hiring.challenge_schema import CHALLENGE_SCHEMA

    adapter = ASSESSMENT_SCHEMA if args.assessment else CHALLENGE_SCHEMA
    print(json.dumps(adapter.json_schema(), indent=2))
    return 0


def _add_challenge_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    challenge = commands.add_parser(
        "challenge", help="assessment content: challenges and assessments as files (docs/assessments.md)"
    ).add_subparsers(dest="challenge_command", required=True)
    validate = challenge.add_parser(
        "validate",
        help="check a library, a challenge folder or an assessment file: schema, layout, and in the sandbox "
        "every reference solution passes while every starter fails",
    )
    validate.add_argument("path")
    validate.add_argument("--jobs", type=int, default=2, help="sandbox runs at once (default 2)")
    validate.add_argument("--no-run", action="store_true", help="check files only; run nothing")
    validate.set_defaults(run=_challenge_validate, is_async=True)
    imported = challenge.add_parser(
        "import", help="validate, then store as new versions (content-hashed) in the default organization"
    )
    imported.add_argument("path")
    imported.add_argument("--jobs", type=int, default=2, help="sandbox runs at once (default 2)")
    imported.set_defaults(run=_challenge_import, is_async=True)
    schema = challenge.add_parser("schema", help="print the JSON Schema of challenge.yaml")
    schema.add_argument("--assessment", action="store_true", help="the assessment file's schema instead")
    schema.set_defaults(run=_challenge_schema, is_async=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duet", description="Duet technical-interview server")
    parser.add_argument("--version", action="version", version=f"duet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server (applies pending migrations first)")
    serve.add_argument("--host", help="address to listen on (DUET_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (DUET_PORT, default 8000)")
    serve.add_argument(
        "--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted for X-Forwarded-* headers"
    )
    serve.set_defaults(run=_serve, is_async=False)

    worker = commands.add_parser("worker", help="run code from the Redis run queue (needs DUET_REDIS_URL)")
    worker.add_argument("--slots", type=int, help="runs at once (DUET_EXEC_SLOTS, default one per CPU)")
    worker.set_defaults(run=_worker, is_async=True)

    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    migrate.set_defaults(run=_migrate, is_async=True)

    user = commands.add_parser("user", help="manage members").add_subparsers(
        dest="user_command", required=True
    )
    create = user.add_parser("create", help="create a member of the (default) organization")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", choices=[r.value for r in OrgRole], default=OrgRole.INTERVIEWER.value)
    create.add_argument("--name", help="display name (default: the email's local part)")
    create.set_defaults(run=_user_create, is_async=True)
    password = user.add_parser("set-password", help="change a member's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password", required=True)
    password.set_defaults(run=_user_password, is_async=True)

    apikey = commands.add_parser("apikey", help="manage API keys").add_subparsers(
        dest="key_command", required=True
    )
    key_create = apikey.add_parser("create", help="create an API key for a member and print it (shown once)")
    key_create.add_argument("--email", required=True)
    key_create.add_argument("--name", help="a label to recognise the key by")
    key_create.set_defaults(run=_apikey_create, is_async=True)

    runtime = commands.add_parser("runtime", help="the language runtimes for sandboxed runs").add_subparsers(
        dest="runtime_command", required=True
    )
    build = runtime.add_parser(
        "build", help="build (or reuse) the runtime rootfs and print its path (needs root)"
    )
    build.add_argument(
        "--cache-dir", help="where rootfs trees are kept (DUET_RUNTIME_CACHE, ~/.cache/duet/rootfs)"
    )
    build.set_defaults(run=_runtime_build, is_async=False)
    prune = runtime.add_parser("prune", help="delete runtime trees other than the current one (needs root)")
    prune.add_argument("--cache-dir", help="where rootfs trees are kept")
    prune.set_defaults(run=_runtime_prune, is_async=False)
    dockerfile = runtime.add_parser(
        "dockerfile", help="write docker/runtime.Dockerfile from the language catalogue"
    )
    dockerfile.add_argument("--check", action="store_true", help="only check that the file is up to date")
    dockerfile.set_defaults(run=_runtime_dockerfile, is_async=False)
    _add_challenge_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
        configure_logging(settings.log_level)
        if args.is_async:
            return int(asyncio.run(args.run(settings, args)))
        return int(args.run(settings, args))
    except (DuetError, BaseExceptionGroup) as exc:
        error = _duet_error(exc)
        if error is None:
            raise
        print(f"duet: {error.message}", file=sys.stderr)
        return 2


def _duet_error(exc: BaseException) -> DuetError | None:
    """The DuetError behind ``exc``, also when task groups wrapped it in exception groups."""
    if isinstance(exc, DuetError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _duet_error(inner)
            if found is not None:
                return found
    return None
