"""The warehouse: Redshift Serverless in private subnets. The admin password is generated into
Secrets Manager, and the services get GST_WAREHOUSE_URL from a second secret built from it; COPY
reads the lake's files through a role of its own and the VPC's S3 endpoint."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_redshiftserverless as redshift
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.environment import variable
from infra.layout import LAKE_PREFIX, REDSHIFT_PORT
from infra.options import DeployOptions
from infra.parts.lake import Lake
from infra.parts.network import Network

WAREHOUSE_DB, WAREHOUSE_ADMIN = "gst", "gst_admin"


class Warehouse(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, options: DeployOptions, network: Network, lake: Lake
    ) -> None:
        super().__init__(scope, construct_id)
        self.admin = secretsmanager.Secret(
            self,
            "WarehouseAdmin",
            description="gst Redshift Serverless admin",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": WAREHOUSE_ADMIN}),
                generate_string_key="password",
                exclude_punctuation=True,  # the password goes into a URL
                password_length=32,
            ),
        )
        self.copy_role = iam.Role(
            self,
            "RedshiftCopyRole",
            description="Redshift COPY reads the lake's files",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("redshift.amazonaws.com"),
                iam.ServicePrincipal("redshift-serverless.amazonaws.com"),
            ),
        )
        lake.bucket.grant_read(self.copy_role, f"{LAKE_PREFIX}/*")
        namespace = redshift.CfnNamespace(
            self,
            "WarehouseNamespace",
            namespace_name="gst",
            db_name=WAREHOUSE_DB,
            admin_username=WAREHOUSE_ADMIN,
            admin_user_password=self.admin.secret_value_from_json("password").unsafe_unwrap(),
            iam_roles=[self.copy_role.role_arn],
            default_iam_role_arn=self.copy_role.role_arn,
        )
        self.workgroup = redshift.CfnWorkgroup(
            self,
            "Warehouse",
            workgroup_name="gst",
            namespace_name="gst",
            base_capacity=options.redshift_base_rpus,
            subnet_ids=[subnet.subnet_id for subnet in network.vpc.private_subnets],
            security_group_ids=[network.groups["warehouse"].security_group_id],
            publicly_accessible=False,
            enhanced_vpc_routing=True,  # COPY reads the lake through the VPC's S3 endpoint
            port=REDSHIFT_PORT,
        )
        self.workgroup.node.add_dependency(namespace)
        password = self.admin.secret_value_from_json("password").unsafe_unwrap()
        self.url = secretsmanager.Secret(
            self,
            "WarehouseUrl",
            description="GST_WAREHOUSE_URL of the services that read or load gold",
            secret_object_value={
                variable("warehouse_url"): cdk.SecretValue.unsafe_plain_text(
                    f"redshift://{WAREHOUSE_ADMIN}:{password}@{self.workgroup.attr_workgroup_endpoint_address}"
                    f":{REDSHIFT_PORT}/{WAREHOUSE_DB}"
                )
            },
        )
