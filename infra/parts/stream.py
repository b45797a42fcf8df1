"""The stream: Kinesis (encrypted, 24 h retention, reached through an interface endpoint), or none
when the system reads an existing MSK cluster (GST_SINK=kafka, GST_KAFKA_BOOTSTRAP_SERVERS)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from gamestream.core.settings import Settings
from infra.options import DeployOptions
from infra.parts.network import Network


class Stream(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, options: DeployOptions, network: Network
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream: kinesis.Stream | None = None
        if settings.sink == "kafka":
            return
        on_demand = options.stream_mode == "on-demand"
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=settings.stream_name,
            stream_mode=kinesis.StreamMode.ON_DEMAND if on_demand else kinesis.StreamMode.PROVISIONED,
            shard_count=None if on_demand else settings.stream_shards,
            encryption=kinesis.StreamEncryption.MANAGED,
            retention_period=cdk.Duration.hours(24),
        )
        network.vpc.add_interface_endpoint(
            "KinesisEndpoint",
            service=ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
            private_dns_enabled=True,
            subnets=network.private,
        )
