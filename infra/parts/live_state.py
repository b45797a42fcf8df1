"""Live state: ElastiCache for Redis, TLS in transit, encrypted at rest, private subnets only."""

from __future__ import annotations

from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

from infra.layout import REDIS_PORT
from infra.options import DeployOptions
from infra.parts.network import Network


class LiveState(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, options: DeployOptions, network: Network) -> None:
        super().__init__(scope, construct_id)
        subnets = elasticache.CfnSubnetGroup(
            self,
            "RedisSubnets",
            description="gst live state",
            subnet_ids=[subnet.subnet_id for subnet in network.vpc.private_subnets],
        )
        self.redis = elasticache.CfnReplicationGroup(
            self,
            "Redis",
            replication_group_description="gst live state",
            engine="redis",
            engine_version="7.1",
            cache_node_type=options.redis_node_type,
            num_cache_clusters=1 + options.redis_replicas,
            automatic_failover_enabled=options.redis_replicas > 0,
            multi_az_enabled=options.redis_replicas > 0,
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            cache_subnet_group_name=subnets.ref,
            security_group_ids=[network.groups["redis"].security_group_id],
            port=REDIS_PORT,
            snapshot_retention_limit=1,
        )

    @property
    def url(self) -> str:
        return f"rediss://{self.redis.attr_primary_end_point_address}:{self.redis.attr_primary_end_point_port}/0"
