"""gamestream"""
