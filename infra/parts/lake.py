"""The lake: one bucket, KMS-encrypted, versioned, private, TLS only, kept when the stack goes; bronze
moves to cheaper storage as it ages, the pollers' raw pages expire after GST_RAW_RETENTION_DAYS."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from gamestream.core.settings import Settings
from infra.layout import GOLD_MANIFESTS, LAKE_PREFIX, RAW_PREFIX


class Lake(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(self, "LakeKey", enable_key_rotation=True, description="gst lake and checkpoints")
        # the pollers' raw pages are kept GST_RAW_RETENTION_DAYS (0: forever), as `gst lake maintain` prunes them
        raw_expiry = (
            [
                s3.LifecycleRule(
                    id="raw-pages", prefix=f"{RAW_PREFIX}/", expiration=cdk.Duration.days(settings.raw_retention_days)
                )
            ]
            if settings.raw_retention_days
            else []
        )
        self.bucket = s3.Bucket(
            self,
            "Lake",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # bronze is read by backfills and replays only: cheaper storage as it ages, never deleted
                # (Delta references every file the log has not removed)
                s3.LifecycleRule(
                    id="bronze-ages",
                    prefix=f"{LAKE_PREFIX}/bronze/",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=cdk.Duration.days(30)
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=cdk.Duration.days(90),
                        ),
                    ],
                ),
                s3.LifecycleRule(id="gold-manifests", prefix=f"{GOLD_MANIFESTS}/", expiration=cdk.Duration.days(7)),
                *raw_expiry,
                # vacuum and compaction remove files: their old versions go after a while
                s3.LifecycleRule(
                    id="removed-files",
                    noncurrent_version_expiration=cdk.Duration.days(30),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                ),
            ],
        )
