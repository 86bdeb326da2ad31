"""Snapshots are monthly: a partition key is the first day of the month the run describes."""


from datetime import datetime

import dagster as dg

#: The schedule runs early each month for the month just ended, so the latest partition is the last
#: complete month (Dagster's default end offset).
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2024-01-01")


def snapshot_of(context: dg.AssetExecutionContext) -> datetime:
    return datetime.strptime(context.partition_key, "%Y-%m-%d")
