"""Property-based calls generated from the OpenAPI schema (schemathesis), against a real server with
the warehouse and Redis up, valid and invalid inputs alike: none may produce a 5xx. (schemathesis' own pytest plugin does not
load under pytest 9, so each operation's strategy is driven with hypothesis directly.)"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from gamestream.core.settings import Settings
from gamestream.embedded.ports import free_port
from realtime_api.app import create_app
from realtime_api.server import background_api


def test_no_generated_request_gets_a_server_error(gold_settings, live):
    # no rate limit: hundreds of calls in seconds would otherwise explore the 429 answer, not the routes
    running = gold_settings.model_copy(update={"api_port": free_port(), "api_rate_per_second": 0})
    with background_api(create_app(running, dashboard=None), running):
        schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{running.api_port}/api/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10
        statuses = []
        for operation, mode in [(o, m) for o in operations for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def call(case):
                response = case.call(timeout=30)
                statuses.append(response.status_code)
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path} {case.query}: {response.status_code} {response.text[:300]}"
                )

            try:
                call()
            except Unsatisfiable:  # no invalid input exists for an operation without parameters
                assert mode is GenerationMode.NEGATIVE
        assert len(statuses) > 5 * len(operations) and {200, 422} <= set(statuses)  # it really explored


def test_the_document_describes_every_answer_and_the_live_messages(tmp_path):
    """Each route's 200 answer is a named schema with its fields (no untyped JSON), and the WebSocket's
    messages are among the schemas, one kind per `type`."""
    settings = Settings(_env_file=None, warehouse_url=f"duckdb:///{tmp_path / 'none.duckdb'}")
    document = create_app(settings, dashboard=None).openapi()
    schemas = document["components"]["schemas"]
    answers = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation["responses"]["200"].get("content", {})
            if path != "/metrics":  # Prometheus' text format
                answers[f"{method} {path}"] = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert len(answers) == 19  # every route but /metrics
    assert all(schemas[name].get("properties") for name in answers.values()), answers
    live = schemas["LiveMessage"]
    assert live["discriminator"]["propertyName"] == "type"
    kinds = {
        schemas[ref.rsplit("/", 1)[-1]]["properties"]["type"]["const"]
        for ref in live["discriminator"]["mapping"].values()
    }
    assert kinds == {"snapshot", "resumed", "changes", "heartbeat"}
