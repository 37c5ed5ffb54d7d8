"""`cost-watcher` on the command line: a thin face over run().

Exit codes: 0 the scan saw everything; 2 usage error (bad flag or value); 3 the scan finished
but part of the account could not be seen or the digest failed (the report says what); 4 AWS
cannot be reached as you (no or invalid credentials, unknown profile, expired session, no
route): one line saying why and how to fix it; 1 an unexpected internal error.

The parser is built from small `add_*_arguments` functions, one per concern, so a command
gets a concern by one call (organization mode's flags live in faces/org_args.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from cost_watcher import __version__
from cost_watcher.errors import CredentialsError, LedgerError, RestoreError, UsageError
from cost_watcher.faces.org_args import add_organization_arguments
from cost_watcher.settings import MAX_LOOKBACK_DAYS, MIN_LOOKBACK_DAYS, NOTIFY_MODES, PRICING_SOURCES, SettingsError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_CREDENTIALS = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
FORMATS = ("table", "json", "csv", "markdown", "html")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", metavar="NAME", help="AWS profile to use (default: boto3's usual chain)")


def add_region_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", action="append", dest="regions", metavar="R",
                        help="region to scan: repeatable or comma-separated, 'all' for the account's enabled "
                             "regions (default: your configured region)")
    parser.add_argument("--exclude-region", action="append", dest="exclude_regions", metavar="R",
                        help="leave this region out (repeatable; with --region all)")


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="JSON file of settings with the deployment's keys (or cdk.json itself); "
                             "COST_WATCHER_<KEY> variables and flags win over it")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Every engine setting, under the name the deployment gives it (--max-actions is the short one)."""
    add = parser.add_argument
    add("--lookback-days", type=int, metavar="N",
        help=f"judging window in days, {MIN_LOOKBACK_DAYS}-{MAX_LOOKBACK_DAYS} (default 7)")
    add("--last-used-days", type=int, metavar="N", help="how far back to look for the last invocation (default 30)")
    add("--grace-days", type=int, metavar="N", help="days between mark and reclaim (default 3)")
    add("--max-actions", "--max-actions-per-run", dest="max_actions_per_run", type=int, metavar="N",
        help="destructive actions per run at most (default 5)")
    add("--tag-prefix", metavar="P", help="prefix of our tags (default 'cost-watcher:')")
    add("--ledger", metavar="PATH|s3://bucket/prefix", help="where restore records and reports go")
    add("--topic-arn", metavar="ARN", help="publish the digest to this SNS topic")
    add("--notify", choices=NOTIFY_MODES, help="when to publish the digest (default findings)")
    add("--pricing", choices=PRICING_SOURCES, help="price source (default auto: Price List API, else table)")
    add("--underused-scale-down", action=argparse.BooleanOptionalAction, default=None,
        help="scale down underused endpoints tagged reclaim=scale-down (default off)")
    add("--underused-max-daily-invocations", type=int, metavar="N",
        help="at most this many invocations a day to be underused (default 50)")
    add("--underused-max-utilization-pct", type=float, metavar="PCT",
        help="and at most this peak CPU/GPU utilisation (default 10)")
    add("--max-workers", type=int, metavar="N", help="parallel AWS calls (default 8)")
    add("--timezone", metavar="TZ", help="IANA time zone quiet hours are found and applied in (default UTC)")
    add("--schedule-lookback-days", type=int, metavar="N",
        help="weeks of hourly traffic a timetable is found in: 14, 21 or 28 days (default 14)")
    add("--schedule-quiet-share", type=float, metavar="PCT",
        help="percent of the invocations seen that the quiet hours may carry together (default 0.1)")
    add("--schedule-margin-hours", type=int, metavar="N",
        help="hours capacity comes back before the first busy hour (default 1)")
    add("--schedule-min-window-hours", type=int, metavar="N", help="shortest quiet window scheduled (default 4)")


def add_mode_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="mode", action="store_const", const="report",
                      help="plan only, change nothing (default)")
    mode.add_argument("--apply", dest="mode", action="store_const", const="act", help="carry out the plan")
    mode.add_argument("--mode", choices=("report", "act"), help="the deployment's word: report = --dry-run, "
                                                                "act = --apply")
    parser.add_argument("--yes", "-y", action="store_true", help="with --apply on a terminal: do not ask")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--output", "-o", choices=FORMATS, help="table (default) | json | csv | markdown | html")
    out.add_argument("--json", dest="output", action="store_const", const="json",
                     help="the JSON report only (= --output json)")
    parser.add_argument("--all", dest="show_all", action="store_true",
                        help="list every endpoint, not only those that need attention")


def build_parser() -> Parser:
    parser = Parser(prog="cost-watcher",
                    description="Find idle SageMaker real-time endpoints and reclaim opted-in ones.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    scan = commands.add_parser("scan", help="scan endpoints, print the report, optionally act")
    add_aws_arguments(scan)
    add_region_arguments(scan)
    add_config_argument(scan)
    add_settings_arguments(scan)
    add_mode_arguments(scan)
    add_output_arguments(scan)
    scan.add_argument("--demo", action="store_true", help="scan a simulated account (no AWS needed)")

    restore = commands.add_parser("restore", help="put a reclaimed endpoint back from its ledger record")
    restore.add_argument("endpoint", metavar="ENDPOINT")
    restore.add_argument("--region", dest="region", required=True, metavar="R")
    add_aws_arguments(restore)
    add_config_argument(restore)
    restore.add_argument("--ledger", metavar="PATH|s3://bucket/prefix")
    restore.add_argument("--dry-run", dest="preview", action="store_true",
                         help="show what would be recreated, change nothing")

    report = commands.add_parser("report", help="show a stored report, or the trend over stored nights")
    add_aws_arguments(report)
    add_config_argument(report)
    report.add_argument("--ledger", metavar="PATH|s3://bucket/prefix")
    which = report.add_mutually_exclusive_group()
    which.add_argument("--date", metavar="YYYY-MM-DD", help="the last report of that day (default: the latest)")
    which.add_argument("--run-id", metavar="ID", help="the report of that run")
    which.add_argument("--since", type=int, metavar="DAYS", help="the trend over the stored nights of the last DAYS")
    add_output_arguments(report)
    add_organization_arguments(scan, restore)
    return parser


def _commands():
    from cost_watcher.faces.report_command import command_report
    from cost_watcher.faces.restore_command import command_restore
    from cost_watcher.faces.scan_command import command_scan

    return {"scan": command_scan, "restore": command_restore, "report": command_report}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        return _commands()[args.command](args)
    except CredentialsError as error:
        print(f"cost-watcher: error: {error}", file=sys.stderr)
        return EXIT_CREDENTIALS
    except (UsageError, SettingsError, LedgerError, RestoreError) as error:
        print(f"cost-watcher: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def console() -> NoReturn:
    """The installed `cost-watcher` command. Ctrl-C ends it at once: waiting for the worker threads'
    AWS calls to time out took a minute (what was written is safe: the ledger comes first)."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("\ncost-watcher: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    console()
