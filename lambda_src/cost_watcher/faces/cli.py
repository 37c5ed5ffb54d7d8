"""`cost-watcher` on the command line: a thin face over run().

Exit codes: 0 the scan saw everything; 2 usage error (bad flag or value); 3 the scan
finished but part of the account could not be seen or the digest failed (the report
says what); 1 an unexpected internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from typing import NoReturn

from cost_watcher import __version__
from cost_watcher.errors import UsageError
from cost_watcher.faces.org_args import add_organization_arguments, restore_target, wants_organization
from cost_watcher.faces.org_args import command_scan as organization_scan
from cost_watcher.reclaim.ledger import LedgerError
from cost_watcher.reclaim.restore import RestoreError
from cost_watcher.settings import (
    ENV_PREFIX,
    MAX_LOOKBACK_DAYS,
    MIN_LOOKBACK_DAYS,
    Settings,
    SettingsError,
    from_mapping,
)

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3



class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> Parser:
    parser = Parser(
        prog="cost-watcher", description="Find idle SageMaker real-time endpoints and reclaim opted-in ones."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    scan = commands.add_parser("scan", help="scan endpoints, print the report, optionally act")
    scan.add_argument(
        "--region",
        action="append",
        dest="regions",
        metavar="R",
        help="region to scan (repeatable; default: your configured region)",
    )
    scan.add_argument(
        "--lookback-days",
        type=int,
        metavar="N",
        help=f"judging window in days, {MIN_LOOKBACK_DAYS}-{MAX_LOOKBACK_DAYS} (default 7)",
    )
    scan.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    mode = scan.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="apply", action="store_false", help="plan only, change nothing (default)")
    mode.add_argument("--apply", dest="apply", action="store_true", help="carry out the plan")
    scan.set_defaults(apply=False)
    scan.add_argument("--demo", action="store_true", help="scan a simulated account (no AWS needed)")
    scan.add_argument("--grace-days", type=int, metavar="N", help="days between mark and reclaim (default 3)")
    scan.add_argument("--max-actions", type=int, metavar="N", help="destructive actions per run at most (default 5)")
    scan.add_argument("--tag-prefix", metavar="P", help="prefix of our tags (default 'cost-watcher:')")
    scan.add_argument("--ledger", metavar="PATH|s3://bucket/prefix", help="where restore records and reports go")
    scan.add_argument("--topic-arn", metavar="ARN", help="publish the digest to this SNS topic")
    scan.add_argument(
        "--notify",
        choices=("always", "findings", "actions", "never"),
        help="when to publish the digest (default findings)",
    )
    scan.add_argument(
        "--pricing", choices=("auto", "table"), help="price source (default auto: Price List API, else table)"
    )

    restore = commands.add_parser("restore", help="put a reclaimed endpoint back from its ledger record")
    restore.add_argument("endpoint", metavar="ENDPOINT")
    restore.add_argument("--region", required=True, metavar="R")
    restore.add_argument("--ledger", metavar="PATH|s3://bucket/prefix")
    restore.add_argument("--dry-run", action="store_true", help="show what would be recreated, change nothing")
    add_organization_arguments(scan, restore)
    return parser


def scan_settings(args: argparse.Namespace) -> Settings:
    values = {
        "regions": args.regions,
        "lookback_days": args.lookback_days,
        "dry_run": not args.apply,
        "grace_days": args.grace_days,
        "max_actions_per_run": args.max_actions,
        "tag_prefix": args.tag_prefix,
        "ledger": args.ledger,
        "topic_arn": args.topic_arn,
        "notify": args.notify,
        "pricing": args.pricing,
    }
    if args.demo:
        values.setdefault("regions", None)
        values["regions"] = values["regions"] or ["us-east-1", "eu-west-1"]
        values["pricing"] = values["pricing"] or "table"
        values["ledger"] = values["ledger"] or tempfile.mkdtemp(prefix="cost-watcher-demo-ledger-")
    return from_mapping({k: v for k, v in values.items() if v is not None}, source="flags")


def command_scan(args: argparse.Namespace) -> int:
    from cost_watcher.engine import run
    from cost_watcher.record import report_to_dict
    from cost_watcher.report.table import render_table
    from cost_watcher.scan.clients import Clients

    settings = scan_settings(args)
    if wants_organization(args):
        return organization_scan(args, settings, _progress(args.json))
    with ExitStack() as stack:
        if args.demo:
            from cost_watcher.sim.account import build_demo_account, demo_stack

            stack.enter_context(demo_stack())
            clients = Clients(max_workers=settings.max_workers)
            build_demo_account(clients)
        else:
            clients = Clients(max_workers=settings.max_workers)
        report = run(settings, clients, progress=_progress(args.json))
    if args.json:
        json.dump(report_to_dict(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_table(report))
    return EXIT_INCOMPLETE if report.errors else EXIT_OK


def _progress(quiet: bool):
    """Progress on stderr when a person is watching; silent in pipes and with --json."""
    if quiet or not sys.stderr.isatty():
        return None
    return lambda message: print(f"... {message}", file=sys.stderr, flush=True)


def command_restore(args: argparse.Namespace) -> int:
    from cost_watcher.reclaim.ledger import open_ledger
    from cost_watcher.reclaim.restore import render_restore, restore
    from cost_watcher.scan.clients import Clients
    from cost_watcher.settings import validate_region

    validate_region(args.region)
    ledger_location = args.ledger or os.environ.get(ENV_PREFIX + "LEDGER")
    if not ledger_location:
        raise UsageError("restore needs the ledger that holds the record: pass --ledger PATH|s3://bucket/prefix")
    clients, ledger_location = restore_target(args, Clients(), ledger_location)
    result = restore(args.endpoint, args.region, open_ledger(ledger_location, clients), clients, dry_run=args.dry_run)
    print(render_restore(result))
    return EXIT_OK if result.ok else EXIT_INCOMPLETE


COMMANDS = {"scan": command_scan, "restore": command_restore}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, SettingsError, LedgerError, RestoreError) as error:
        print(f"cost-watcher: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cost-watcher: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
