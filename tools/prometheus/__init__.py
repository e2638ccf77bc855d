"""Prometheus (HTTP API): queries, rule alerts and error budgets."""
