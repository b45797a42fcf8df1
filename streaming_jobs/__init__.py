"""streaming_jobs"""
