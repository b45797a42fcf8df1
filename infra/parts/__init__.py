"""The stack's parts, one construct each: network, lake, stream, live state, warehouse, services
(pollers, API, gold, ops), Glue jobs and alarms. infra/stack.py puts them together."""
