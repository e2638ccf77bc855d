"""An opsbot tool plugin: turn a feature flag on or off through a flag service's HTTP API."""
