"""batch_jobs"""
