from __future__ import annotations

from streaming_jobs.glue_job import export_settings_arguments


def test_glue_job_arguments_named_gst_become_settings_variables():
    environ: dict[str, str] = {}
    argv = ["script.py", "--JOB_NAME", "gst-stream", "--GST_LAKE_ROOT", "s3://b/lake", "--GST_LOG_JSON", "True"]
    assert export_settings_arguments(argv, environ) == ["GST_LAKE_ROOT", "GST_LOG_JSON"]
    assert environ == {"GST_LAKE_ROOT": "s3://b/lake", "GST_LOG_JSON": "True"}
