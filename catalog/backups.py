"""Backups and restores of tenants' databases: the rules that span tenants, and each plan.

A database is backed up when the platform names an object store (`platform.backups`) and its
entry does not turn it off (with a reason). A database may start from another tenant's
backups (`restore:`): that tenant must exist in the catalog with a backed-up database. What
depends on the clock (is the point in time inside the source's retention? has it happened?)
cannot be known at synthesis, which never reads it: the runbook checks it before applying.
"""

from __future__ import annotations

from collections.abc import Sequence

from catalog.platform import Platform
from catalog.tenant import Tenant
from constructs_lib.object_store import DatabaseBackup
from constructs_lib.postgres_props import BackupPlan, RecoveryPlan


def _backed_up(platform: Platform, tenant: Tenant) -> bool:
    database = tenant.settings.database
    return (
        platform.backups is not None
        and tenant.settings.wants_database
        and database is not None
        and database.backup.enabled
    )


def backup_plan(platform: Platform, tenant: Tenant) -> BackupPlan | None:
    """Where and how often the tenant's database is backed up; None when it is not."""
    database = tenant.settings.database
    if platform.backups is None or database is None or not _backed_up(platform, tenant):
        return None
    return BackupPlan(
        store=platform.backups,
        tenant=tenant.name,
        schedule=database.backup.schedule or platform.backups.schedule,
        retention_days=database.backup.retention_days or platform.backups.retention_days,
    )


def recovery_plan(platform: Platform, tenant: Tenant) -> RecoveryPlan | None:
    """The backups the tenant's database starts from; None when it starts empty."""
    database = tenant.settings.database
    if platform.backups is None or database is None or database.restore is None:
        return None
    restore = database.restore
    return RecoveryPlan(
        store=platform.backups, source=restore.source, point_in_time=restore.point_in_time
    )


def uses_the_store(platform: Platform, tenant: Tenant) -> bool:
    """Whether the tenant's database reads or writes the object store (credentials, egress)."""
    return backup_plan(platform, tenant) is not None or recovery_plan(platform, tenant) is not None


def backup_problems(platform: Platform, tenants: Sequence[Tenant]) -> list[str]:
    """One line per backup or restore setting that cannot work, naming the field and the fix."""
    by_name = {t.name: t for t in tenants}
    problems = []
    for tenant in tenants:
        database = tenant.settings.database
        if database is None or not tenant.settings.wants_database:
            continue
        where = f"{tenant.source}.database"
        # Compared with the default, not with what was written: a catalog read back from its
        # own dump (the synthesis workers) has every field written.
        if (
            platform.backups is None
            and database.backup != DatabaseBackup()
            and database.backup.enabled
        ):
            problems.append(
                f"{where}.backup: the platform has no object store to back up to; add "
                "platform.backups (README.md, 'Backups')"
            )
        restore = database.restore
        if restore is None:
            continue
        if platform.backups is None:
            problems.append(
                f"{where}.restore: the platform has no object store to restore from; add "
                "platform.backups (README.md, 'Backups')"
            )
            continue
        source = by_name.get(restore.source)
        if restore.source == tenant.name:
            problems.append(
                f"{where}.restore.from: {tenant.name!r} is this tenant itself; name the tenant "
                "whose backups it starts from"
            )
        elif source is None:
            problems.append(
                f"{where}.restore.from: no tenant {restore.source!r} in the catalog; name a "
                "tenant with a backed-up database (a team, or <team>-<environment>); keep a "
                "decommissioned source's entry until the restore is done"
            )
        elif not _backed_up(platform, source):
            why = (
                "has no database"
                if not source.settings.wants_database
                else "does not back up its database (backup: enabled: false)"
            )
            problems.append(
                f"{where}.restore.from: {restore.source!r} {why}, so there are no backups to "
                "start from; name a tenant whose database is backed up"
            )
    return problems
