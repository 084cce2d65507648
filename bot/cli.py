"""The `baton` command line.

Each command imports what it needs when it runs: `baton replay` (a backtest over thousands of messages)
must not spend two seconds loading the Slack, HTTP and database stack it never uses.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.replay import add_replay_parser
from bot.report_cli import add_report_parser
from bot.rules_cli import add_rules_parser
from bot.settings import Mode, Settings
from bot.tokens_cli import add_tokens_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `baton` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"baton: configuration error:\n{configuration_problems(error)}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handler = args.handler
    try:
        return int(asyncio.run(handler(settings, args)) or 0)
    except Exception as error:
        problem = _database_problem(error, settings.database_url)
        if problem is None and isinstance(error, OSError):  # a port in use, a host or a file that isn't there
            problem = str(error)
        if problem is None:
            raise
        print(f"baton: {problem}", file=sys.stderr)
        return 2


def configuration_problems(error: ValidationError) -> str:
    """One line per problem, naming the variable, never the values given: pydantic's own text repeats the
    input, which for a credentials check is the whole environment it read, tokens and secrets included."""
    lines = []
    for problem in error.errors(include_input=False, include_url=False):
        where = "".join(f"{part}: " for part in problem["loc"][:1])  # the variable (fields use its name)
        lines.append(f"  {where}{problem['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


_REFUSED_LOGIN = {"InvalidAuthorizationSpecificationError", "InvalidPasswordError"}


def _database_problem(error: Exception, url: str) -> str | None:
    """A one-line explanation of a database that can't be used at start, or None for any other error."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot.runtime import StartupRefused
    from storage import SchemaBehind

    if isinstance(error, SchemaBehind | StartupRefused):
        return str(error)
    cause = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
    driver_error = getattr(getattr(error, "orig", None), "__cause__", None)  # under SQLAlchemy's adapter
    missing = type(driver_error).__name__ == "InvalidCatalogNameError"  # asyncpg: no such database
    refused = type(driver_error).__name__ in _REFUSED_LOGIN  # asyncpg: a wrong user or password
    unreachable = (
        isinstance(error, OperationalError | InterfaceError | ConnectionError) or refused
    ) and not missing
    if not (missing or unreachable) or (isinstance(error, OperationalError) and "no such table" in cause):
        return None  # not a database that can't be reached: the traceback says more
    where = make_url(url).render_as_string(hide_password=True)
    hint = " (create it first, e.g. `createdb`)" if missing else ""
    return f"can't use the database {where}: {cause}{hint}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baton", description="Hand customer conversations from AI to humans."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="serve Slack (or a local sandbox workspace with no credentials)")
    run.set_defaults(handler=_run)
    mig = commands.add_parser("migrate", help="bring the database schema up to date")
    mig.add_argument(
        "--revision", default="head", help="upgrade up to this revision (default: head); never downgrades"
    )
    mig.set_defaults(handler=_migrate)
    demo = commands.add_parser("demo", help="play three customer stories against a local sandbox workspace")
    demo.set_defaults(handler=_demo)
    add_replay_parser(commands)
    add_report_parser(commands)
    add_rules_parser(commands)
    add_tokens_parser(commands)
    return parser


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime import running
    from bot.sandbox_mode import run_with_sandbox

    if settings.mode is Mode.SANDBOX:
        return await run_with_sandbox(settings, until=_stop_signal())
    async with running(settings) as runtime:
        logging.getLogger("baton").info(
            "Baton is serving in %s mode on port %s", settings.mode.value, runtime.port
        )
        # What start-up made (modules, the app, the configuration) lives as long as the process: keep the
        # garbage collector from rescanning it in every full collection (tens of ms each, mid-request).
        gc.freeze()
        await _stop_signal()
    return 0


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(settings, args)


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage import create_engine, current_revision, migrate, revisions

    known = revisions()
    if args.revision != "head" and args.revision not in known:
        print(
            f"baton migrate: no revision {args.revision!r}; known: {', '.join(known)}, head", file=sys.stderr
        )
        return 2
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine, revision=args.revision)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


def _stop_signal() -> asyncio.Future[None]:
    """A future that completes on SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop)
    return stop
