"""docker-compose.yml is not run here (no Docker engine); these checks keep it consistent."""

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from gamestream.cli import app
from gamestream.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_stack_runs_every_part_of_the_product():
    parts = {"kinesis", "kafka", "redis", "postgres", "producers", "streaming", "gold", "api", "nginx"}
    assert parts - set(SERVICES) == set(), "a part of the product has no service"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_an_image_or_a_build_that_exists(name):
    service = SERVICES[name]
    assert "image" in service or "build" in service
    if "build" in service:
        assert (ROOT / service["build"] / "Dockerfile").is_file()
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), f"{name} mounts missing {source}"


PUBLISHED = re.compile(r"(?:(?P<host>\$\{[^}]+\}|[^:]+):)?(?P<outside>\d+):(?P<inside>\d+)")
LOOPBACK_UNLESS_SET = {"127.0.0.1", "${PUBLISH_ADDRESS:-127.0.0.1}"}


def test_published_ports_are_well_formed_and_unique():
    published = []
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            match = PUBLISHED.fullmatch(str(port))
            assert match, f"{name}: port {port!r}"
            published.append(int(match["outside"]))
    assert len(published) == len(set(published))
    assert {8000, 8080} <= set(published)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_published_port_listens_on_loopback_unless_a_setting_says_otherwise(name):
    """The stack's servers (an unauthenticated Kinesis, Kafka and Redis among them) are reachable from the
    host only; the API and the dashboard go further only when PUBLISH_ADDRESS says so."""
    for port in SERVICES[name].get("ports", []):
        match = PUBLISHED.fullmatch(str(port))
        host = match["host"] if match and match["host"] else "every interface"
        assert host in LOOPBACK_UNLESS_SET, f"{name} publishes {port!r} on {host}, not on loopback"


def test_every_gst_variable_is_a_setting():
    known = {f"GST_{field.upper()}" for field in Settings.model_fields}
    seen = set()
    for service in SERVICES.values():
        seen |= {k for k in (service.get("environment") or {}) if k.startswith("GST_")}
    assert seen, "no GST_* variables configured"
    assert seen - known == set()
    app_services = [n for n, s in SERVICES.items() if s.get("image", "").startswith("game-stream-trends")]
    for name in app_services:
        env = SERVICES[name]["environment"]
        assert env["GST_AWS_ENDPOINT_URL"] == "http://kinesis:4567", name
        assert env["GST_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert env["GST_REDIS_URL"].startswith("redis://redis:"), name
        assert env["GST_WAREHOUSE_URL"].startswith("postgresql://"), name


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if s.get("command", [None])[0] == "gst"))
def test_gst_commands_exist(name):
    command = SERVICES[name]["command"][1]
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    registered |= {g.name for g in app.registered_groups}
    assert command in registered


def test_kafka_is_a_single_kraft_node_of_the_embedded_version_reachable_as_configured():
    kafka = SERVICES["kafka"]
    env = kafka["environment"]
    pom = ElementTree.parse(ROOT / "gamestream/kafka/pom.xml").getroot()
    version = pom.find("m:properties/m:kafka.version", {"m": "http://maven.apache.org/POM/4.0.0"}).text
    assert kafka["image"] == f"apache/kafka:{version}"  # the same broker as `gst demo` with GST_SINK=kafka
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any(k.startswith("KAFKA_ZOOKEEPER") for k in env)
    node, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert node == env["KAFKA_NODE_ID"] and voter == "kafka:9093"
    listeners = dict(entry.split("://") for entry in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(entry.split("://") for entry in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(entry.split(":") for entry in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == set(protocols) and set(advertised) <= set(listeners)
    assert (
        env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners and env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
    )
    # what the app containers use, and what the host uses through the published port
    assert "kafka:9092" in advertised.values()
    assert "127.0.0.1:9094" in advertised.values()
    assert kafka["volumes"][0].split(":")[1] == env["KAFKA_LOG_DIRS"]
    init = SERVICES["init"]["depends_on"]
    assert init["kafka"]["condition"] == "service_healthy"  # `gst init` creates the topic when GST_SINK=kafka
    assert SERVICES["init"]["environment"]["GST_SINK"] == "${GST_SINK:-kinesis}"
