"""Operating the service: one log stream, request ids, Prometheus metrics."""
