from gamestream.cli import app

app(prog_name="gst")
