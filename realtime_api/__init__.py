"""realtime_api"""
