"""Operations: the web server (webhook, /healthz, /metrics), Prometheus metrics, structured logs."""
