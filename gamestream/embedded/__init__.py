"""The embedded stack: the whole system's services on one machine, with no accounts and no keys.

It starts, on free loopback ports, kinesalite as the Kinesis API (a Node process, its records in a
LevelDB store under the data directory) and a private Redis (the `redis-server` binary when
installed, else fakeredis's TCP server), makes a DuckDB warehouse file and a lake folder under the
data directory, creates the stream, and hands back Settings that point every stage at them. With
GST_SINK=kafka it also starts a single-node Apache Kafka broker (KRaft, a JVM process, its log
under the data directory) and creates the topic (docs/kafka.md).
Leaving the context (normally, by exception, Ctrl-C or SIGTERM turned into SystemExit) stops
everything and frees the ports; the child processes also die with this one, even by kill -9.

    from gamestream.embedded.stack import embedded_stack

    with embedded_stack(Path(".gst")) as stack:
        kinesis = aws_client(stack.settings, "kinesis")
"""
