"""`cost-watcher report`: a stored report from the ledger shown again in any format (the latest,
or `--date` / `--run-id`), or with `--since DAYS` the trend over the stored nights. A local
ledger needs no AWS; an s3:// one checks who we are first (exit 4 when AWS cannot be reached)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from cost_watcher.errors import HistoryError, StoreError, UsageError
from cost_watcher.faces.config import gather
from cost_watcher.faces.identity import Identity, open_session, who_am_i
from cost_watcher.faces.terminal import colour, width
from cost_watcher.record import report_from_dict
from cost_watcher.report.cells import View
from cost_watcher.report.formats import json_text, render, render_trend
from cost_watcher.report.history import find, nights
from cost_watcher.scan.clients import Clients
from cost_watcher.store import open_store

EXIT_OK, EXIT_INCOMPLETE = 0, 3


def command_report(args: argparse.Namespace) -> int:
    gathered = gather(args, os.environ, args.argv)
    for note in gathered.notes:
        print(f"cost-watcher: note: {note}", file=sys.stderr)
    location = gathered.settings.ledger
    if not location:
        raise UsageError("report needs the ledger that holds the reports: pass --ledger PATH|s3://bucket/prefix")
    if args.since is not None and args.since < 1:
        raise UsageError(f"--since: {args.since} is not accepted; expected a number of days, 1 or more")
    day = _day(args.date) if args.date else None
    clients = None
    identity: Identity | None = None
    if location.startswith("s3://"):
        session = open_session(args.profile)
        identity = who_am_i(session)
        clients = Clients(session)
    try:
        store = open_store(location, clients)
    except StoreError as error:
        raise UsageError(str(error)) from None
    view = (identity.view if identity else View)(width=width(), colour=colour(), show_all=args.show_all)
    fmt = args.output or "table"
    try:
        if args.since is not None:
            sys.stdout.write(render_trend(nights(store, args.since), fmt, view, store.location))
            return EXIT_OK
        _, document = find(store, day=day, run_id=args.run_id)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    if fmt == "json":
        sys.stdout.write(json_text(document))  # the stored report as it was written
        return EXIT_OK
    report = report_from_dict(document)
    if fmt == "html":
        view.history = nights(store, 30, report.generated_at.date())
    sys.stdout.write(render(report, fmt, view))
    return EXIT_INCOMPLETE if report.errors else EXIT_OK


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date: {text!r} is not accepted; expected a day as YYYY-MM-DD") from None
