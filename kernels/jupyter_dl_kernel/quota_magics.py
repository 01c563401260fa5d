"""``%dl_quota``: your GPU quota on the hub, and how much of it you have used.

The kernel asks the hub's quota service for its user's own quota ("me"), with
the server's token (``$JUPYTERHUB_API_TOKEN``, which kernels inherit) at the
URL the spawner passed (``$JUPYTER_DL_QUOTAS_URL``). The work is the quota
client's (``jupyter_dl_hub.quotas.client``), which ``jupyter dl quota show
--me`` shares.
"""

from __future__ import annotations

import html
import os
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from .dataset_magics import table

STATE_COLOURS = {
    "ok": "var(--jp-success-color1, green)",
    "warning": "var(--jp-warn-color1, orange)",
    "exhausted": "var(--jp-error-color1, red)",
    "unlimited": "var(--jp-ui-font-color2, gray)",
}


@magics_class
class QuotaMagics(Magics):
    """Read your own GPU quota from a notebook cell."""

    @magic_arguments()
    @argument("--json", action="store_true", help="return the quota as a dict instead")
    @line_magic
    def dl_quota(self, line: str) -> Any:
        """Your GPU quota on this hub: limits (and whose they are), GPU-hours used in
        the rolling period, servers and GPUs running, and any warning."""
        from jupyter_dl_hub.quotas.client import QuotaClient, QuotaClientError, service_url
        from jupyter_dl_hub.quotas.settings import SERVICE_URL_ENV

        args = parse_argstring(self.dl_quota, line)
        token = os.environ.get("JUPYTERHUB_API_TOKEN")
        if not token or not os.environ.get(SERVICE_URL_ENV):
            raise UsageError(
                "%dl_quota needs a server started by the jupyter-dl hub, which passes"
                f" ${SERVICE_URL_ENV} and $JUPYTERHUB_API_TOKEN; this kernel has no quota."
            )
        try:
            status = QuotaClient(service_url(), token).me()
        except QuotaClientError as error:
            raise UsageError(str(error)) from None
        if args.json:
            return status
        display({"text/html": quota_html(status), "text/plain": quota_text(status)}, raw=True)
        return None


def _hours(status: dict[str, Any]) -> tuple[str, str]:
    budget = status["budget"]
    used = f"{budget['used_hours']:.2f}"
    if budget["limit_hours"] == "unlimited":
        return used, "no limit"
    return used, f"{budget['limit_hours']} in the last {budget['period_days']} days"


def _limit(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return "all" if value == "*" else str(value)


def quota_text(status: dict[str, Any]) -> str:
    used, limit = _hours(status)
    limits = status["limits"]
    lines = [
        f"GPU-hours: {used} of {limit} ({status['budget']['state']})",
        f"running: {status['usage']['servers']} servers, {status['usage']['gpus']} GPUs",
        f"GPUs at once: {_limit(limits['max_gpus'])}, servers at once:"
        f" {_limit(limits['max_servers'])}, profiles: {_limit(limits['allowed_profiles'])}",
    ]
    lines += [f"! {notice['message']}" for notice in status["notices"]]
    return "\n".join(lines)


def quota_html(status: dict[str, Any]) -> str:
    budget, limits, sources = status["budget"], status["limits"], status["limits"]["sources"]
    used, limit = _hours(status)
    colour = STATE_COLOURS.get(budget["state"], "inherit")
    meter = ""
    if budget["fraction"] is not None:
        percent = min(100.0, 100 * budget["fraction"])
        meter = (
            "<div style='width:16em;height:0.5em;background:var(--jp-layout-color3, #ddd)'>"
            f"<div style='width:{percent:.0f}%;height:100%;background:{colour}'></div></div>"
        )
    rows = [
        ("GPUs at once", _limit(limits["max_gpus"]), sources["max_gpus"]),
        ("GPU-hours", limit, sources["gpu_hours"]),
        ("servers at once", _limit(limits["max_servers"]), sources["max_servers"]),
        ("profiles", _limit(limits["allowed_profiles"]), sources["allowed_profiles"]),
    ]
    notices = "".join(
        f"<p style='color:{STATE_COLOURS['warning' if n['kind'] == 'warning' else 'exhausted']}'>"
        f"{html.escape(n['message'])}</p>"
        for n in status["notices"]
    )
    return (
        f"<div><p><b>GPU-hours: {used}</b> of {html.escape(limit)}"
        f" <span style='color:{colour}'>({html.escape(budget['state'])})</span>;"
        f" running: {status['usage']['servers']} servers, {status['usage']['gpus']} GPUs</p>"
        f"{meter}{table(['limit', 'value', 'set by'], rows)}{notices}</div>"
    )
