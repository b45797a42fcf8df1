"""The network: private subnets for everything but the load balancer, the lake reached through an S3
gateway endpoint, the platforms' APIs through NAT, and one security group per part."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.layout import REDIS_PORT, REDSHIFT_PORT, ignore_lint
from infra.options import DeployOptions

PARTS = ("pollers", "api", "gold", "ops", "glue", "redis", "warehouse")


class Network(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, options: DeployOptions) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            availability_zones=list(options.availability_zones),
            nat_gateways=options.nat_gateways,
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        self.private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        for subnet in [*self.vpc.public_subnets, *self.vpc.private_subnets]:
            # the zones are a deployment option: Redshift Serverless needs three, and a synth that
            # knows no account cannot look them up
            ignore_lint(subnet.node.default_child, "W3010")
        self.groups = {
            part: ec2.SecurityGroup(self, f"{part.title()}Group", vpc=self.vpc, description=f"gst {part}")
            for part in PARTS
        }
        glue = self.groups["glue"]
        glue.add_ingress_rule(glue, ec2.Port.all_tcp(), "Glue workers talk to each other")
        for part in ("glue", "api", "ops"):
            self.groups["redis"].add_ingress_rule(
                self.groups[part], ec2.Port.tcp(REDIS_PORT), f"live state from {part}"
            )
        for part in ("api", "gold", "ops"):
            self.groups["warehouse"].add_ingress_rule(
                self.groups[part], ec2.Port.tcp(REDSHIFT_PORT), f"warehouse from {part}"
            )
