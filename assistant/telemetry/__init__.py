"""Telemetry adapters: log formatting, request correlation, Prometheus metrics.

The engine's pure core never touches these; they are wired in at the edges (the CLI, the
runtime, the Slack service) and fed through hooks the core is handed.
"""
