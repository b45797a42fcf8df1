"""Alarms to one SNS topic: the streaming job falling behind the stream, a failed Glue run, and the
API answering 5xx (its targets or the load balancer itself)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.options import DeployOptions
from infra.parts.glue_jobs import GlueJobs
from infra.parts.stream import Stream


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: DeployOptions,
        stream: Stream,
        glue_jobs: GlueJobs,
        load_balancer: elbv2.ApplicationLoadBalancer,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="gst alarms")
        action = cloudwatch_actions.SnsAction(self.topic)
        alarms: list[cloudwatch.Alarm] = []
        if stream.stream is not None:
            alarms.append(
                stream.stream.metric_get_records_iterator_age_milliseconds(
                    statistic="Maximum", period=cdk.Duration.minutes(1)
                ).create_alarm(
                    self,
                    "IteratorAgeAlarm",
                    alarm_description="the streaming job falls behind the stream",
                    threshold=options.iterator_age_alarm_seconds * 1000,
                    evaluation_periods=5,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.BREACHING,  # no reads at all is worse
                )
            )
        for name, job in (("StreamingJob", glue_jobs.streaming_job), ("BackfillJob", glue_jobs.backfill_job)):
            alarms.append(
                job.metric_failure(period=cdk.Duration.minutes(5)).create_alarm(
                    self,
                    f"{name}FailedAlarm",
                    alarm_description=f"a run of {name} failed",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        for name, metric in (
            ("Api5xxAlarm", load_balancer.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)),
            ("LoadBalancer5xxAlarm", load_balancer.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT)),
        ):
            alarms.append(
                metric.with_(statistic="Sum", period=cdk.Duration.minutes(5)).create_alarm(
                    self,
                    name,
                    alarm_description="the API answers 5xx",
                    threshold=options.api_errors_alarm_count,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        for alarm in alarms:
            alarm.add_alarm_action(action)
