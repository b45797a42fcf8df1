"""Game Stream Trends' own layer of wiring: the `gst` command line (cli/), the embedded stack of local
services (embedded/) and `gst doctor`, over the shared core (core/) that every stage imports."""
