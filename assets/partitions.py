"""Snapshots are monthly: a partition key is the first day of the month the run describes."""


from datetime import UTC, datetime

import dagster as dg

#: The schedule runs early each month for the month just ended, so the latest partition is the last
#: complete month (Dagster's default end offset).
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2024-01-01")


def snapshot_of(context: dg.AssetExecutionContext) -> datetime:
    return datetime.strptime(context.partition_key, "%Y-%m-%d")


def corrections_as_of(context: dg.AssetExecutionContext) -> datetime:
    """The moment the attested corrections' status is judged at: the run's setting ``corrections_as_of``
    (a replay of a corrected run gives the original run's), else when the run started."""
    given = context.resources.settings.corrections_as_of
    if given:
        moment = datetime.fromisoformat(given.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return run_started(context)


def run_started(context: dg.AssetExecutionContext) -> datetime:
    """When the run started (UTC): what a run records, and the moment corrections are judged at (one
    recorded while the run goes counts from the next run)."""
    record = context.instance.get_run_record_by_id(context.run_id)
    if record is not None and record.start_time:
        return datetime.fromtimestamp(record.start_time, UTC)
    return datetime.now(UTC)
