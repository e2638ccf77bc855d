"""The real backend: Kubernetes, Prometheus and Alertmanager behind the Backend contract."""
