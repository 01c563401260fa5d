"""Checks of one record against a user's :class:`~jupyter_dl.access.Access`, and sharing.

Every ``/dl/api`` route names what it touches in its path (a run id, a dataset or
model name, a job, sweep or deployment id); the base handler asks this service
about each before the domain service runs, so no route can forget. A record the
user may not read is reported as not found, exactly like one that does not
exist, so that names and ids of private work do not leak; one they may read but
not change is a 403 that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .access import Access
from .errors import BadRequest, Forbidden, NotFound

if TYPE_CHECKING:
    from .store import Store

#: Kinds of record that can be shared with a group, and the word users read.
SHAREABLE = {"project": "project", "dataset": "dataset", "model": "model"}
#: Every kind a route may name, and the word used in its "not found" message.
KINDS = {**SHAREABLE, "run": "run", "job": "job", "sweep": "sweep", "deployment": "deployment"}


@dataclass(frozen=True)
class Holding:
    """Who holds a record: its owner, and the group it is shared with and how."""

    owner: str | None
    group: str | None = None
    group_access: str = "read"

    def to_json(self) -> dict[str, Any]:
        return {"owner": self.owner, "group": self.group, "group_access": self.group_access}


class PermissionService:
    """Answers "may this user read / change that record?" from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def holding(self, kind: str, key: str) -> Holding | None:
        """Who holds the record; None when there is no such record."""
        from sqlalchemy import select

        from .store import models as m

        columns: dict[str, tuple[Any, Any]] = {
            "project": (m.Project.name, m.Project),
            "dataset": (m.Dataset.name, m.Dataset),
            "model": (m.RegisteredModel.name, m.RegisteredModel),
        }
        with self.store.session() as s:
            if kind in columns:
                column, table = columns[kind]
                row = s.execute(
                    select(table.owner, table.group_name, table.group_access).where(column == key)
                ).first()
            elif kind == "run":
                row = s.execute(
                    select(m.Project.owner, m.Project.group_name, m.Project.group_access)
                    .join(m.Run, m.Run.project_id == m.Project.id)
                    .where(m.Run.id == key)
                ).first()
            else:
                owner = self._owner_column(kind)
                row = s.execute(select(owner).where(owner.class_.id == key)).first()
        if row is None:
            return None
        return Holding(*row) if len(row) == 3 else Holding(row[0])

    @staticmethod
    def _owner_column(kind: str) -> Any:
        from .store import models as m

        owners = {
            "job": m.Job.owner,
            "sweep": m.Sweep.owner,
            "deployment": m.Deployment.started_by,
        }
        if kind not in owners:
            raise ValueError(f"unknown kind of record {kind!r}")
        return owners[kind]

    def check(self, access: Access, kind: str, key: str, write: bool = False) -> None:
        """Raise unless ``access`` may read (or, with ``write``, change) the record.

        A record that does not exist passes: the domain service reports it (or
        creates it) with its own message.
        """
        if access.unrestricted:
            return
        holding = self.holding(kind, key)
        if holding is None:
            return
        if not access.can_read(holding.owner, holding.group):
            raise NotFound(f"no {KINDS[kind]} {key!r}")
        if write and not access.can_write(holding.owner, holding.group, holding.group_access):
            raise Forbidden(
                f"the {KINDS[kind]} {key!r} belongs to {holding.owner}; the group"
                f" {holding.group!r} may only read it"
            )

    def check_all(self, access: Access, kind: str, keys: list[str]) -> None:
        for key in keys:
            self.check(access, kind, key)

    def sharing(self, access: Access, kind: str, name: str) -> dict[str, Any]:
        """Who holds a project, dataset or model."""
        holding = self._shareable(access, kind, name)
        return holding.to_json()

    def share(self, access: Access, kind: str, name: str, changes: Any) -> dict[str, Any]:
        """Share a record with a group (``{"group": "vision", "group_access": "write"}``),
        make it private again (``{"group": null}``) or hand it to another user
        (``{"owner": "ada"}``, admins only). Only the owner and admins may."""
        from sqlalchemy import update

        from .store import models as m

        holding = self._shareable(access, kind, name)
        if not isinstance(changes, dict) or not changes:
            raise BadRequest("send an object with group, group_access and/or owner")
        unknown = set(changes) - {"group", "group_access", "owner"}
        if unknown:
            raise BadRequest(f"cannot change {', '.join(sorted(unknown))} here")
        if not access.can_share(holding.owner):
            raise Forbidden(f"only {holding.owner} or an admin may share the {kind} {name!r}")
        group, group_access = access.check_group(
            changes.get("group", holding.group),
            changes.get("group_access", holding.group_access),
        )
        owner = changes.get("owner", holding.owner)
        if owner != holding.owner:
            if not access.admin:
                raise Forbidden(f"only an admin may give the {kind} {name!r} to another user")
            if not isinstance(owner, str) or not owner:
                raise BadRequest("owner must be a user name")
        tables: dict[str, Any] = {
            "project": m.Project,
            "dataset": m.Dataset,
            "model": m.RegisteredModel,
        }
        table = tables[kind]
        with self.store.session(write=True) as s:
            s.execute(
                update(table)
                .where(table.name == name)
                .values(owner=owner, group_name=group, group_access=group_access)
            )
        return Holding(owner, group, group_access).to_json()

    def _shareable(self, access: Access, kind: str, name: str) -> Holding:
        if kind not in SHAREABLE:
            raise BadRequest(f"only {', '.join(SHAREABLE)} can be shared, not {kind}s")
        holding = self.holding(kind, name)
        if holding is None or not access.can_read(holding.owner, holding.group):
            raise NotFound(f"no {kind} {name!r}")
        return holding
