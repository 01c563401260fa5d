"""``jupyter dl quota set|unset|show|check`` and ``jupyter dl usage``: parse and print.

Every command talks to the quota service's REST API (:mod:`.client`) with an API
token, never to the database: the service applies the hub's scopes, so the CLI
can do exactly what its token's owner may, from any machine that reaches the
hub. A quota admin's token (the embedded hub's ``$JUPYTER_DL_HUB_ADMIN_TOKEN``,
or their own from the hub's Token page) sets limits and reads all usage; any
user's reads their own quota (``show --me``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .client import QuotaClient, QuotaClientError

COMMANDS = {"quota", "usage"}

#: ``quota set`` options and the limit each sets.
LIMIT_OPTIONS = {
    "gpus": "max_gpus",
    "gpu_hours": "gpu_hours",
    "period": "period_days",
    "servers": "max_servers",
    "profiles": "allowed_profiles",
}


def add_commands(commands: Any) -> None:
    """Add ``quota`` and ``usage`` to ``jupyter dl``'s parser."""
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument(
        "--hub-url",
        help="the hub's URL (default: $JUPYTERHUB_URL, else http://127.0.0.1:$JUPYTER_DL_HUB_PORT/)",
    )
    connection.add_argument(
        "--token",
        help="API token (default: $JUPYTER_DL_HUB_ADMIN_TOKEN, else $JUPYTERHUB_API_TOKEN)",
    )
    connection.add_argument("--json", action="store_true", help="print the service's JSON")

    quota = commands.add_parser("quota", help="set and show GPU quotas of users and groups")
    actions = quota.add_subparsers(dest="quota_command", metavar="ACTION", required=True)

    set_ = actions.add_parser(
        "set",
        parents=[connection],
        help="set limits of a user or group (others kept)",
        description="Numbers, 'unlimited' to lift a limit, or 'inherit' to unset it.",
    )
    _add_subject(set_)
    set_.add_argument("--gpus", help="GPUs at once")
    set_.add_argument("--gpu-hours", help="GPU-hours per period")
    set_.add_argument("--period", help="the period of --gpu-hours, in days (default 7)")
    set_.add_argument("--servers", help="servers at once")
    set_.add_argument("--profiles", help="allowed profiles, comma-separated ('*': all)")
    set_.add_argument("--replace", action="store_true", help="unset every limit not given here")

    unset = actions.add_parser(
        "unset", parents=[connection], help="remove all limits of a user or group"
    )
    _add_subject(unset)

    show = actions.add_parser(
        "show",
        parents=[connection],
        help="show the limits of a user (with use) or a group, all limits set, or --me",
    )
    who = show.add_mutually_exclusive_group()
    who.add_argument("--user", help="a user: the limits that apply, and their use")
    who.add_argument("--group", help="a group: its limits")
    who.add_argument("--me", action="store_true", help="your own quota and use")

    actions.add_parser(
        "check", parents=[connection], help="check running servers against budgets now"
    )

    usage = commands.add_parser(
        "usage", parents=[connection], help="GPU-hours per user or group over a period"
    )
    usage.add_argument(
        "--since", help="start: a date (2026-11-01) or date-time; default 7 days ago"
    )
    usage.add_argument("--until", help="end (default: now)")
    usage.add_argument("--by", choices=["user", "group"], default="user")


def _add_subject(parser: argparse.ArgumentParser) -> None:
    subject = parser.add_mutually_exclusive_group(required=True)
    subject.add_argument("--user", help="the user")
    subject.add_argument("--group", help="the group")


def run_command(args: argparse.Namespace) -> int:
    """Run ``quota`` or ``usage``; 0 on success, 1 when the service refused, 2 on bad input."""
    try:
        client = QuotaClient.from_environment(args.hub_url, args.token)
        if args.command == "usage":
            return _print(args, client.usage(args.since, args.until, args.by), _usage_text)
        return _quota(args, client)
    except QuotaClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if error.status == 400 else 1


def _quota(args: argparse.Namespace, client: QuotaClient) -> int:
    command = args.quota_command
    if command == "set":
        kind, name = _subject(args)
        limits = {
            limit: _value(getattr(args, option), limit)
            for option, limit in LIMIT_OPTIONS.items()
            if getattr(args, option) is not None
        }
        if not limits and not args.replace:
            print("error: give at least one limit (--gpus, --gpu-hours, ...)", file=sys.stderr)
            return 2
        return _print(
            args, client.set_limits(kind, name, limits, replace=args.replace), _limits_text
        )
    if command == "unset":
        kind, name = _subject(args)
        client.delete_limits(kind, name)
        print(f"{kind} {name}: no limits of its own; it inherits them again")
        return 0
    if command == "check":
        return _print(args, client.enforce(), _check_text)
    if args.me:
        return _print(args, client.me(), _status_text)
    if args.user:
        status = client.user(args.user)
        status["own"] = client.limits("user", args.user)["limits"]
        return _print(args, status, _status_text)
    if args.group:
        return _print(args, client.limits("group", args.group), _limits_text)
    return _print(args, {"items": client.all_limits()}, _all_limits_text)


def _subject(args: argparse.Namespace) -> tuple[str, str]:
    return ("user", args.user) if args.user else ("group", args.group)


def _value(raw: str, limit: str) -> Any:
    text = raw.strip()
    if text.lower() == "inherit":
        return None
    if limit == "allowed_profiles":
        return "*" if text == "*" else [p.strip() for p in text.split(",") if p.strip()]
    if text.lower() == "unlimited":
        return "unlimited"
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        # Sent as typed: the service names the limit and what it takes.
        return text


def _print(args: argparse.Namespace, value: Any, as_text: Any) -> int:
    print(json.dumps(value, indent=2) if args.json else as_text(value))
    return 0


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return "all" if value == "*" else str(value)


LABELS = {
    "max_gpus": "GPUs at once",
    "gpu_hours": "GPU-hours",
    "period_days": "period (days)",
    "max_servers": "servers at once",
    "allowed_profiles": "profiles",
}


def _limits_text(body: dict[str, Any]) -> str:
    limits = body.get("limits")
    if limits is None:
        return f"{body['kind']} {body['name']}: no limits of its own"
    lines = [f"{body['kind']} {body['name']}:"]
    lines += [f"  {LABELS[key]:<16} {_shown(value)}" for key, value in limits.items()]
    return "\n".join(lines)


def _all_limits_text(body: dict[str, Any]) -> str:
    if not body["items"]:
        return "no limits set: everyone has the default"
    header = (
        f"{'kind':<6} {'name':<20} {'GPUs':>6} {'GPU-h':>8} {'days':>5} {'servers':>8}  profiles"
    )
    rows = [header]
    for item in body["items"]:
        limits = item["limits"]
        rows.append(
            f"{item['kind']:<6} {item['name']:<20} {_shown(limits['max_gpus']):>6}"
            f" {_shown(limits['gpu_hours']):>8} {_shown(limits['period_days']):>5}"
            f" {_shown(limits['max_servers']):>8}  {_shown(limits['allowed_profiles'])}"
        )
    return "\n".join(rows)


def _status_text(status: dict[str, Any]) -> str:
    limits, usage, budget = status["limits"], status["usage"], status["budget"]
    sources = limits["sources"]
    groups = ", ".join(status["groups"]) or "none"
    if budget["limit_hours"] == "unlimited":
        hours = "unlimited"
    else:
        hours = f"{budget['limit_hours']} per {budget['period_days']} days"
    rows = [
        ("GPUs at once", _shown(limits["max_gpus"]), sources["max_gpus"]),
        ("GPU-hours", hours, sources["gpu_hours"]),
        ("servers at once", _shown(limits["max_servers"]), sources["max_servers"]),
        ("profiles", _shown(limits["allowed_profiles"]), sources["allowed_profiles"]),
    ]
    lines = [f"user {status['user']} (groups: {groups})"]
    lines += [f"  {label:<16} {value:<22} {source}" for label, value, source in rows]
    lines += [
        f"  used: {budget['used_hours']:.2f} GPU-hours in the last {budget['period_days']} days"
        f" ({budget['state']})",
        f"  running: {usage['servers']} servers, {usage['gpus']} GPUs",
    ]
    if status.get("own") is not None:
        own = ", ".join(f"{k}={_shown(v)}" for k, v in status["own"].items() if v is not None)
        lines.append(f"  own limits: {own or 'none'}")
    for notice in status.get("notices", []):
        lines.append(f"  ! {notice['message']}")
    return "\n".join(lines)


def _usage_text(report: dict[str, Any]) -> str:
    by = report["by"]
    lines = [f"GPU-hours per {by}, {report['since']} to {report['until']}"]
    if not report["items"]:
        return lines[0] + "\n  no use"
    lines.append(f"  {by:<20} {'GPU-hours':>10} {'sessions':>9} {'running':>8} {'GPUs':>5}")
    for row in report["items"]:
        lines.append(
            f"  {row[by]:<20} {row['gpu_hours']:>10.2f} {row['sessions']:>9}"
            f" {row['running_servers']:>8} {row['running_gpus']:>5}"
        )
    return "\n".join(lines)


def _check_text(outcome: dict[str, Any]) -> str:
    return (
        f"warned: {', '.join(outcome['warned']) or 'nobody'}\n"
        f"stopped: {', '.join(outcome['stopped']) or 'nothing'}\n"
        f"accounting records reconciled: {len(outcome['reconciled'])}"
        + "".join(f"\nerror: {error}" for error in outcome["errors"])
    )
