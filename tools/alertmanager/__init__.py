"""Alertmanager (API v2): alerts with silenced state, silences."""
