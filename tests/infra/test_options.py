from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.options import DeployOptions

ROOT = Path(__file__).resolve().parents[2]


def test_context_keys_in_cdk_json_name_every_option_and_read_back_as_given():
    context = json.loads((ROOT / "infra" / "cdk.json").read_text())["context"]
    options = DeployOptions.from_context(context.get)
    assert options == DeployOptions()  # cdk.json spells out the defaults, key by key
    # every option but those with nothing to default to: the seed's bucket, a certificate and its host
    unset = {"seed_archive_bucket", "certificate_arn", "api_domain"}
    assert all(getattr(DeployOptions(), name) == "" for name in unset)
    assert len([k for k in context if k.startswith("gst:")]) == len(DeployOptions.__dataclass_fields__) - len(unset)


def test_command_line_context_arrives_as_strings_and_is_converted():
    given = {"gst:glueStreamWorkers": "4", "gst:availabilityZones": "eu-west-1a,eu-west-1b,eu-west-1c"}
    options = DeployOptions.from_context(given.get)
    assert options.glue_stream_workers == 4
    assert options.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"gst:streamMode": "sometimes"}, "gst:streamMode must be provisioned or on-demand"),
        ({"gst:apiTasks": "two"}, "gst:apiTasks must be a whole number, not 'two'"),
        ({"gst:availabilityZones": "us-east-1a,us-east-1b"}, "at least 3 zones"),
        ({"gst:glueWorkerType": "G.3X"}, "gst:glueWorkerType must be one of"),
    ],
)
def test_bad_context_is_refused_with_the_key_named(given, message):
    with pytest.raises(ValueError, match=message):
        DeployOptions.from_context(given.get)


def test_zones_of_another_region_are_refused_before_a_deploy():
    options = DeployOptions.from_context({"gst:availabilityZones": "eu-west-1a,eu-west-1b,eu-west-1c"}.get)
    assert options.in_region("eu-west-1") is options
    with pytest.raises(ValueError, match="eu-west-1a, eu-west-1b, eu-west-1c are not in us-east-1"):
        options.in_region("us-east-1")
