"""A draft scenario from Terraform's JSON (`terraform show -json`, of a state or a plan).

Reads the AWS resources that decide recovery — RDS instances and Aurora clusters (with their
instances and global clusters), load-balancer target groups, Route 53 records and health checks,
auto-scaling groups, ElastiCache replication groups — and writes the scenario fields they imply.
Everything else keeps the schema's defaults. The report says, line by line, what was read
(resource address → field = value), what was defaulted and what needs a human decision; resources
it does not know are listed, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulation.model.loading import Problem, ScenarioError, validate_document

MAX_RESOURCES = 5_000  # resources one import reads; a larger state is refused
MAX_MODULE_DEPTH = 16
READ_TYPES = (
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_rds_global_cluster",
    "aws_lb_target_group",
    "aws_alb_target_group",
    "aws_route53_record",
    "aws_route53_health_check",
    "aws_autoscaling_group",
    "aws_elasticache_replication_group",
)
_REGION_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):")
_REGION_IN_ZONE = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d)[a-z]$")
PITR_INTERVAL_S = 300.0  # RDS uploads transaction logs for point-in-time recovery every 5 minutes


@dataclass(frozen=True)
class Resource:
    address: str
    type: str
    values: dict[str, Any]


@dataclass
class TerraformImport:
    """The draft document and the report of how each field was chosen."""

    document: dict[str, Any]
    read: list[str] = field(default_factory=list)
    defaulted: list[str] = field(default_factory=list)
    decide: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def report(self) -> dict[str, list[str]]:
        return {"read": self.read, "defaulted": self.defaulted, "decide": self.decide, "unknown": self.unknown}


def resources_of(state: object) -> list[Resource]:
    """Every managed resource of a `terraform show -json` document (state or plan), child modules included."""
    if not isinstance(state, dict):
        raise ScenarioError([Problem("", "expected the JSON object printed by `terraform show -json`")])
    values = state.get("values") or state.get("planned_values")
    if not isinstance(values, dict) or not isinstance(values.get("root_module"), dict):
        raise ScenarioError(
            [Problem("values.root_module", "missing: give the output of `terraform show -json` of a state or plan")]
        )
    found: list[Resource] = []
    pending: list[tuple[dict[str, Any], int]] = [(values["root_module"], 0)]
    while pending:
        module, depth = pending.pop()
        if depth > MAX_MODULE_DEPTH:
            raise ScenarioError([Problem("child_modules", f"modules nested deeper than {MAX_MODULE_DEPTH} levels")])
        for item in module.get("resources") or []:
            if isinstance(item, dict) and item.get("mode", "managed") == "managed":
                values = item.get("values")
                found.append(
                    Resource(
                        str(item.get("address", "?"))[:300],
                        str(item.get("type", "?"))[:100],
                        values if isinstance(values, dict) else {},
                    )
                )
        pending.extend((child, depth + 1) for child in module.get("child_modules") or [] if isinstance(child, dict))
        if len(found) > MAX_RESOURCES:
            raise ScenarioError([Problem("resources", f"more than {MAX_RESOURCES} resources; import a smaller state")])
    return sorted(found, key=lambda r: r.address)


def region_of(values: dict[str, Any]) -> str | None:
    """The AWS region a resource lives in, from its ARN or availability zone."""
    arn = values.get("arn")
    if isinstance(arn, str) and (match := _REGION_IN_ARN.match(arn)):
        return match.group(1)
    zones = values.get("availability_zones") or [values.get("availability_zone")]
    for zone in zones if isinstance(zones, list) else []:
        if isinstance(zone, str) and (match := _REGION_IN_ZONE.match(zone)):
            return match.group(1)
    return None


def _global_writers(global_clusters: list[Resource]) -> set[str]:
    """ARNs of the writer clusters that global databases name in ``global_cluster_members``."""
    writers = set()
    for cluster in global_clusters:
        for member in cluster.values.get("global_cluster_members") or []:
            if isinstance(member, dict) and member.get("is_writer"):
                writers.add(str(member.get("db_cluster_arn")))
    return writers


def _text(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    return value if isinstance(value, str) else None


def _number(values: dict[str, Any], key: str) -> float | None:
    value = values.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Builder:
    """Collects fields and report lines; one method per resource type."""

    def __init__(self, resources: list[Resource], name: str) -> None:
        self.by_type: dict[str, list[Resource]] = {}
        for resource in resources:
            self.by_type.setdefault(resource.type, []).append(resource)
        self.out = TerraformImport(document={"schema": 1, "name": name})
        self.regions: list[str] = []
        self.instances: dict[str, int] = {}
        self.zones: dict[str, int] = {}
        self.primary_region: str | None = None
        self.routing: str | None = None

    def set(self, path: str, value: Any, source: str) -> None:
        target = self.out.document
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
        self.out.read.append(f"{source} → {path} = {value}")

    def note_region(self, region: str | None) -> None:
        if region and region not in self.regions:
            self.regions.append(region)

    def of(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self.by_type.get(t, [])]

    # --- the database -------------------------------------------------------------------------
    def databases(self) -> None:
        primaries = [r for r in self.of("aws_db_instance") if not r.values.get("replicate_source_db")]
        replicas = [r for r in self.of("aws_db_instance") if r.values.get("replicate_source_db")]
        clusters = self.of("aws_rds_cluster")
        if primaries:
            self._rds_instance(primaries[0])
            for extra in primaries[1:]:
                self.out.decide.append(f"{extra.address}: a second primary database; the scenario models one")
        elif clusters:
            self._aurora(clusters)
        else:
            self.out.defaulted.append("database: no aws_db_instance or aws_rds_cluster; schema defaults kept")
        for replica in replicas:
            region = region_of(replica.values)
            if region is not None and region == self.primary_region:
                self.out.read.append(f"{replica.address}: a read replica in the primary's region (reads only)")
                continue
            self.note_region(region)
            self._replica(region, replica.address, "an RDS read replica replicates asynchronously")

    def _rds_instance(self, db: Resource) -> None:
        values = db.values
        self.primary_region = region_of(values)
        self.note_region(self.primary_region)
        multi_az = bool(values.get("multi_az"))
        self.set("database.local_standby", "sync" if multi_az else "none", f"{db.address}.multi_az={multi_az}")
        if (storage := _number(values, "allocated_storage")) is not None:
            self.set("database.size_gb", storage, f"{db.address}.allocated_storage")
        self._backups(db)
        if values.get("instance_class"):
            self.out.decide.append(
                f"{db.address}: instance class {values['instance_class']} — set costs.db_node_usd_per_month"
            )

    def _aurora(self, clusters: list[Resource]) -> None:
        writer = next(
            (c for c in clusters if _text(c.values, "arn") in _global_writers(self.of("aws_rds_global_cluster"))), None
        )
        if writer is None:
            writer = max(
                clusters, key=lambda c: (len(self._members(c)), not c.values.get("replication_source_identifier"))
            )
        self.primary_region = region_of(writer.values)
        self.note_region(self.primary_region)
        members = [
            i
            for i in self.of("aws_rds_cluster_instance")
            if i.values.get("cluster_identifier") == writer.values.get("cluster_identifier")
        ]
        readers = max(len(members) - 1, 0)
        self.set(
            "database.local_standby",
            "sync" if readers else "none",
            f"{writer.address}: {len(members)} instance(s) on shared storage ({readers} reader(s) to promote)",
        )
        self.out.defaulted.append(
            "database.size_gb: Aurora storage grows on its own and Terraform does not record its size; "
            "promotion does not depend on it (shared storage)"
        )
        self.out.decide.append("database.size_gb: enter the cluster volume size (it matters for restores)")
        self._backups(writer)
        for cluster in clusters:
            if cluster is writer:
                continue
            region = region_of(cluster.values)
            self.note_region(region)
            self._replica(
                region, cluster.address, "an Aurora global database replicates asynchronously (typically < 1 s)"
            )

    def _members(self, cluster: Resource) -> list[Resource]:
        name = _text(cluster.values, "cluster_identifier")
        return [
            i for i in self.of("aws_rds_cluster_instance") if name and _text(i.values, "cluster_identifier") == name
        ]

    def _replica(self, region: str | None, address: str, why: str) -> None:
        if region is None:
            self.out.decide.append(f"{address}: replica region unknown (no arn or availability zone)")
            return
        replicas = self.out.document.setdefault("database", {}).setdefault("replicas", [])
        replicas.append({"region": region, "mode": "async"})
        self.out.read.append(f"{address} → database.replicas += {region} (async: {why})")

    def _backups(self, db: Resource) -> None:
        retention = _number(db.values, "backup_retention_period")
        if retention is None:
            self.out.defaulted.append(f"database.backups: {db.address} has no backup_retention_period")
        elif retention > 0:
            self.set("database.backups.kind", "pitr", f"{db.address}.backup_retention_period={int(retention)} d")
            self.set("database.backups.interval_s", PITR_INTERVAL_S, "RDS log upload interval (5 min)")
        else:
            self.set("database.backups.kind", "none", f"{db.address}.backup_retention_period=0")

    # --- the app tier and the traffic managers -------------------------------------------------
    def target_groups(self) -> None:
        groups = self.of("aws_lb_target_group", "aws_alb_target_group")
        for group in groups[:1]:
            check = group.values.get("health_check")
            check = check[0] if isinstance(check, list) and check else check
            if not isinstance(check, dict):
                continue
            source = f"{group.address}.health_check"
            if (interval := _number(check, "interval")) is not None:
                self.set("app.load_balancer.interval_s", interval, f"{source}.interval")
            for key in ("unhealthy_threshold", "healthy_threshold"):
                if (count := _number(check, key)) is not None:
                    self.set(f"app.load_balancer.{key}", int(count), f"{source}.{key}")
            path = str(check.get("path") or "/")
            self.set("app.health_check", "liveness" if path in ("/", "") else "deep", f"{source}.path={path!r}")
            self.out.decide.append(
                f"app.health_check: confirm whether {path!r} checks the database and dependencies (deep) or "
                "only that the process answers (liveness)"
            )
        if len(groups) > 1:
            self.out.decide.append(f"{len(groups)} target groups: the scenario's app tier follows {groups[0].address}")

    def route53(self) -> None:
        records = self.of("aws_route53_record")
        failover = [r for r in records if r.values.get("failover_routing_policy")]
        latency = [r for r in records if r.values.get("latency_routing_policy")]
        with_ttl = [r for r in (failover or latency or records) if _number(r.values, "ttl") is not None]
        if with_ttl:
            self.set("failover.dns_ttl_s", _number(with_ttl[0].values, "ttl"), f"{with_ttl[0].address}.ttl")
        elif failover or latency:
            self.out.defaulted.append("failover.dns_ttl_s: alias records (the target's own TTL, 60 s for an ALB)")
            self.set("failover.dns_ttl_s", 60.0, "alias record to a load balancer (Route 53 answers with TTL 60 s)")
        checks = self.of("aws_route53_health_check")
        if checks:
            check = checks[0]
            source = check.address
            if (interval := _number(check.values, "request_interval")) is not None:
                self.set("failover.detection.interval_s", interval, f"{source}.request_interval")
            if (threshold := _number(check.values, "failure_threshold")) is not None:
                self.set("failover.detection.failure_threshold", int(threshold), f"{source}.failure_threshold")
            self.set("failover.mode", "automated", f"{source}: a health check drives the DNS failover")
        elif failover:
            self.out.decide.append("failover records without a health check: failover is manual (failover.mode)")
        self.routing = "latency" if latency else "failover" if failover else None

    def autoscaling(self) -> None:
        for group in self.of("aws_autoscaling_group"):
            region = region_of(group.values) or self.primary_region
            self.note_region(region)
            size = _number(group.values, "desired_capacity") or _number(group.values, "min_size")
            if region and size:
                self.instances[region] = self.instances.get(region, 0) + int(size)
                self.out.read.append(f"{group.address}.desired_capacity → {region}: {int(size)} app instance(s)")
            zones = group.values.get("availability_zones") or group.values.get("vpc_zone_identifier") or []
            if region and isinstance(zones, list) and zones:
                self.zones[region] = max(self.zones.get(region, 0), min(len(zones), 6))
                self.out.read.append(f"{group.address}: {len(zones)} zone(s)/subnet(s) → {region}.zones")

    def elasticache(self) -> None:
        for group in self.of("aws_elasticache_replication_group"):
            automatic = bool(group.values.get("automatic_failover_enabled"))
            multi_az = bool(group.values.get("multi_az_enabled"))
            self.out.read.append(
                f"{group.address}: cache automatic_failover={automatic}, multi_az={multi_az} "
                "(read; the scenario models the cache through app.timeouts.cache_s only)"
            )
            if not (automatic and multi_az):
                self.out.decide.append(f"{group.address}: the cache has no automatic Multi-AZ failover")

    # --- regions and pattern --------------------------------------------------------------------
    def regions_and_pattern(self) -> None:
        if not self.regions:
            self.out.defaulted.append("regions: none found in ARNs or zones; one region, region-a")
            self.regions = ["region-a"]
        primary = self.primary_region or self.regions[0]
        ordered = [primary, *[r for r in self.regions if r != primary]][:6]
        if len(ordered) == 1:
            pattern, others_role = "single-region", "standby"
        elif self.routing == "latency":
            pattern, others_role = "active-active-read", "read-replica"
            self.out.decide.append(
                "latency routing: writes go to one primary (active-active-read) unless the "
                "application writes in every region (active-active-full)"
            )
        else:
            pattern, others_role = "active-passive", "standby"
        self.set(
            "pattern", pattern, f"regions {', '.join(ordered)}" + (f", {self.routing} routing" if self.routing else "")
        )
        regions = []
        for index, name in enumerate(ordered):
            region: dict[str, Any] = {"name": name, "role": "primary" if index == 0 else others_role}
            if name in self.instances:
                region["app_instances"] = max(1, min(self.instances[name], 500))
            else:
                self.out.defaulted.append(f"{name}: no auto-scaling group; 4 app instances assumed")
            if name in self.zones:
                region["zones"] = self.zones[name]
            regions.append(region)
        self.out.document["regions"] = regions
        if pattern == "single-region":
            self.out.document.setdefault("database", {}).pop("replicas", None)
        elif "replicas" not in self.out.document.get("database", {}):
            self.out.decide.append("no cross-region replica found: the standby region has no copy of the data")
            self.out.document.setdefault("database", {})["replicas"] = []


def scenario_from_terraform(state: object, *, name: str = "Imported from Terraform") -> TerraformImport:
    """A draft scenario document and its report; ``ScenarioError`` when ``state`` is not Terraform's JSON."""
    resources = resources_of(state)
    builder = _Builder(resources, name[:200] or "Imported from Terraform")
    builder.databases()
    builder.target_groups()
    builder.route53()
    builder.autoscaling()
    builder.elasticache()
    builder.regions_and_pattern()
    builder.out.unknown = [f"{r.address} ({r.type})" for r in resources if r.type not in READ_TYPES]
    builder.out.defaulted.append("traffic, incidents, costs, business: schema defaults (Terraform does not say)")
    _drop_invalid(builder.out)
    return builder.out


def _drop_invalid(out: TerraformImport) -> None:
    """Values the engine refuses (a zero interval, say) go back to their defaults, each one left to decide."""
    for _ in range(20):
        problems = validate_document(out.document)
        if not problems:
            return
        for problem in problems:
            parent, _, last = problem.path.rpartition(".")
            target: Any = out.document
            for part in parent.split(".") if parent else []:
                target = target.get(part, {}) if isinstance(target, dict) else {}
            if isinstance(target, dict) and last in target:
                del target[last]
                out.decide.append(f"{problem.path}: the value read is not valid ({problem.message}); default kept")
            else:  # e.g. a list item or a cross-field rule: keep the schema's defaults for the whole section
                out.document.pop(problem.path.split(".")[0], None)
                out.decide.append(f"{problem.path}: {problem.message}; that section keeps its defaults")
