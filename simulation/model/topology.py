"""Topology sections: the regions and the database (replicas, backups)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulation.model.base import Section
from simulation.model.distributions import Dist, fixed, lognormal

Pattern = Literal["single-region", "active-passive", "active-active-read", "active-active-full"]
ReplicationMode = Literal["sync", "async"]


class Region(Section):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["primary", "standby", "read-replica"] = "primary"
    app_instances: int = Field(default=4, ge=1, le=500)
    zones: int = Field(default=3, ge=1, le=6)
    warmth: Literal["hot", "warm", "cold"] = Field(
        default="hot", description="hot: serving-ready; warm: scaled down; cold: must be built"
    )
    warm_up_s: Dist = Field(
        default_factory=lambda: lognormal(600, 1800),
        description="time to scale a warm standby up to full capacity (a cold one: after it is built)",
    )
    cold_build_s: Dist = Field(
        default_factory=lambda: lognormal(3600, 4 * 3600),
        description="cold standby: time to build the app tier from scratch (provision, deploy, configure) "
        "before it warms up",
    )
    warm_capacity_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="share of this region's app instances a warm standby keeps running before it scales up",
    )


class Replica(Section):
    region: str = Field(min_length=1)
    mode: ReplicationMode = "async"
    lag_s: Dist = Field(default_factory=lambda: lognormal(1.0, 5.0))


class Backups(Section):
    kind: Literal["none", "daily", "pitr"] = "daily"
    interval_s: float = Field(
        default=86_400,
        gt=0,
        description="time between recoverable points: backup interval, or WAL archive interval for pitr",
    )
    restore_throughput_gb_per_s: float = Field(default=0.05, gt=0)
    restore_setup_s: Dist = Field(default_factory=lambda: lognormal(900, 2700))
    storage: Literal["same-region", "cross-region"] = "cross-region"


class Database(Section):
    size_gb: float = Field(default=100, gt=0, le=1_000_000)
    write_rate_tps: float = Field(default=50, ge=0)
    local_standby: Literal["none", "sync", "async"] = "sync"
    local_standby_lag_s: Dist = Field(default_factory=lambda: lognormal(0.5, 2.0))
    replicas: list[Replica] = Field(
        default_factory=list,
        max_length=8,
        description="cross-region replicas; when not given, multi-region patterns get one async replica in "
        "their first region besides the primary (active-active-full: the replication between "
        "its primaries); give [] for none",
    )
    backups: Backups = Field(default_factory=Backups)
    promotion_s_per_gb: float = Field(
        default=0,
        ge=0,
        description="extra promotion time per GB of data, for calibration only (0: promoting a hot standby "
        "takes about the same time at any size; size counts through the parts below)",
    )
    replay_backlog_gb: Dist = Field(
        default_factory=lambda: fixed(0),
        description="WAL the promoted standby has received but not yet applied when the primary fails; it "
        "replays it before it takes writes (async catch-up; a hot synchronous standby has about none)",
    )
    replay_throughput_gb_per_s: float = Field(
        default=0.05,
        gt=0,
        description="speed of replaying WAL: a standby's catch-up, and crash recovery of a restarted node",
    )
    crash_recovery_wal_gb: float = Field(
        default=1.0,
        ge=0,
        description="WAL written since the last checkpoint, replayed when a failed node restarts in place "
        "(PostgreSQL's max_wal_size default: 1 GB); not the total size",
    )
    standby_cache: Literal["warm", "cold"] = Field(
        default="warm",
        description="warm: the standby's cache already holds the working set (a hot standby serving reads); "
        "cold: it is read in after promotion",
    )
    working_set_share: float = Field(
        default=0.2, ge=0, le=1, description="share of size_gb read often enough that a cold cache must hold it"
    )
    cache_warm_up_gb_per_s: float = Field(
        default=0.1, gt=0, description="speed of reading the working set into a cold cache"
    )
    rebuild_throughput_gb_per_s: float = Field(
        default=0.1, gt=0, description="speed of rebuilding a standby after a failover"
    )
    standby_failure_rate_per_year: float | None = Field(
        default=None,
        ge=0,
        le=100_000,
        description="the standby's own failures (repaired in node_repair_s); a failover can find it down. "
        "null: as often as the primary (incidents.db_primary_failure.rate_per_year)",
    )
    node_repair_s: Dist = Field(
        default_factory=lambda: lognormal(4 * 3600, 12 * 3600),
        description="time to repair a failed node when nothing can take over",
    )
    conflict_duplicate_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="active-active full: share of unreplicated writes that clients re-submit in the surviving "
        "region and that come back as duplicates; the rest are lost by conflict resolution",
    )
