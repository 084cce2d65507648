"""`baton rules export|import`: the configuration in force as YAML, and a YAML file stored as a new version.

Export then import is an exact round trip. Both work on the database (BATON_DATABASE_URL), so a running Baton
picks an import up at once on the next scheduler tick, on every replica.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.offline import offline_service


def add_rules_parser(commands: Any) -> None:
    """Register `baton rules export|import` on the CLI's subcommands."""
    rules = commands.add_parser("rules", help="export or import the configuration (YAML)")
    actions = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the configuration in force as YAML")
    export.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    export.set_defaults(handler=run_export)
    load = actions.add_parser("import", help="store a YAML configuration file as the new configuration")
    load.add_argument("file", type=Path, help="YAML file (the BATON_CONFIG format; '-' for standard input)")
    load.add_argument("--actor", default="cli", help="who to name in the audit log (default: cli)")
    load.set_defaults(handler=run_import)


async def run_export(settings: Any, args: argparse.Namespace) -> int:
    """Write the stored configuration (or the defaults, if none is stored) as YAML."""
    from handlers.admin import config_yaml

    async with offline_service(settings) as service:
        text = config_yaml(service.config_data())
        if not service.config_version:
            sys.stderr.write("baton rules export: no configuration stored yet; these are the defaults\n")
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


async def run_import(settings: Any, args: argparse.Namespace) -> int:
    """Validate a YAML file and store it as the new configuration; 2 with the field named if it is bad."""
    from routing.admin_grammar import UsageError
    from routing.models import Actor, ChangeSource
    from routing.rules import RulesError
    from routing.yaml_text import load_yaml

    source = "<stdin>" if str(args.file) == "-" else str(args.file)
    try:
        text = sys.stdin.read() if source == "<stdin>" else args.file.read_text(encoding="utf-8")
        data = load_yaml(text)
    except OSError as error:
        sys.stderr.write(f"baton rules import: {source}: {error.strerror or error}\n")
        return 2
    except UnicodeDecodeError as error:
        sys.stderr.write(
            f"baton rules import: {source}: not UTF-8 text (byte {error.start}); save it as UTF-8\n"
        )
        return 2
    except yaml.YAMLError as error:
        sys.stderr.write(f"baton rules import: {source}: not valid YAML: {error}\n")
        return 2
    async with offline_service(settings) as service:
        try:
            change = await service.import_config(
                data, actor=Actor(user_id=args.actor, source=ChangeSource.CLI), source_name=source
            )
        except RulesError as error:
            sys.stderr.write(f"baton rules import: {error}\n")
            return 2
        except UsageError as error:  # valid alone, refused as a whole (e.g. a route to a removed type)
            sys.stderr.write(f"baton rules import: {source}: {error.problem}\n")
            return 2
    if change.version is None:
        sys.stderr.write("baton rules import: it is the configuration in force already; nothing changed\n")
    else:
        sys.stderr.write(f"baton rules import: stored as configuration version {change.version}\n")
    return 0
