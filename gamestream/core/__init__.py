"""The shared core every stage imports, and which imports nothing else of ours: the record contracts,
the settings, the lake's tables and schemas, the live state's Redis keys, the raw archive's layout,
game names and the game catalog, clocks, and the AWS, warehouse and logging helpers.

The layers (import-linter contracts in pyproject.toml, run by `make test`): the core at the bottom; producers, the streaming
job and the API above it, independent of each other; batch jobs above those (they reuse the
streaming transforms, and replay publishes through the producers' sinks); the command line, the
embedded stack and `gst doctor` (the rest of `gamestream`) on top, the one layer that wires stages.
"""
