"""Who may see and change what: the one rule every route and list applies.

Projects (and with them their runs), datasets and models belong to a user, their
``owner``. Each is private by default; its owner may share it with one of their
groups, to read (``group_access = "read"``) or to read and write (``"write"``).
Hub admins see and change everything. Training jobs, sweeps and deployments are
processes on someone's machine: only their owner (and admins) see them.

A single-user server is its user's own platform, so it acts with
:meth:`Access.everything`; the team service (``jupyter_dl_hub.platform``) builds
an ``Access`` from the hub's user model for each request. The rule lives here, in
one place, both as a check on one record and as the SQL a list adds to its query,
so a list never shows what a direct request would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, Forbidden

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

#: What a group may do with a shared record.
GROUP_ACCESS = ("read", "write")


@dataclass(frozen=True)
class Access:
    """A user's standing: their name, groups, and whether they are a hub admin."""

    user: str | None
    groups: frozenset[str] = field(default_factory=frozenset)
    admin: bool = False

    @classmethod
    def everything(cls, user: str | None = None) -> Access:
        """The standing of a single-user server's own user: their store, all of it."""
        return cls(user, frozenset(), admin=True)

    @property
    def unrestricted(self) -> bool:
        return self.admin

    def can_read(self, owner: str | None, group: str | None = None) -> bool:
        """Whether a record with ``owner``, shared with ``group``, is visible."""
        if self.admin:
            return True
        if owner is not None and owner == self.user:
            return True
        return group is not None and group in self.groups

    def can_write(
        self, owner: str | None, group: str | None = None, group_access: str | None = None
    ) -> bool:
        """Whether the record may be changed (new runs in a project, versions, aliases)."""
        if self.admin or (owner is not None and owner == self.user):
            return True
        return group is not None and group in self.groups and group_access == "write"

    def can_share(self, owner: str | None) -> bool:
        """Only the owner (or an admin) decides who else sees a record."""
        return self.admin or (owner is not None and owner == self.user)

    def visible(self, owner: Any, group: Any = None) -> ColumnElement[bool] | None:
        """The SQL condition selecting the rows this user may read; None when all."""
        from sqlalchemy import false, or_

        if self.admin:
            return None
        if self.user is None:
            return false()
        mine = owner == self.user
        if group is None or not self.groups:
            return mine  # type: ignore[no-any-return]
        return or_(mine, group.in_(sorted(self.groups)))

    def check_group(self, group: Any, group_access: Any) -> tuple[str | None, str]:
        """A sharing request, validated: a group the user belongs to (any group for an
        admin, None to make the record private again), and ``read`` or ``write``."""
        if group_access not in GROUP_ACCESS:
            raise BadRequest(f"group_access must be one of {', '.join(GROUP_ACCESS)}")
        if group is None or group == "":
            return None, group_access
        if not isinstance(group, str):
            raise BadRequest("group must be a group name or null")
        if not self.admin and group not in self.groups:
            raise Forbidden(f"you are not a member of the group {group!r}")
        return group, group_access


def where_visible(access: Access | None, table: Any, owner: Any = None) -> list[Any]:
    """The WHERE clauses limiting ``table`` (a store model with an ``owner`` and maybe a
    ``group_name`` column, or another ``owner`` column) to the rows ``access`` may read:
    none without ``access``."""
    if access is None:
        return []
    owner = table.owner if owner is None else owner
    condition = access.visible(owner, getattr(table, "group_name", None))
    return [] if condition is None else [condition]
