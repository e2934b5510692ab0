"""This process's answer counts, read from its Prometheus metrics, for the numbers shared over replicas."""

from __future__ import annotations

from bot.ops.metrics import Metrics
from bot.service.shared_stats import Numbers

VIAS = ("private", "group", "inline")


def numbers_of(metrics: Metrics) -> Numbers:
    """Questions, refusals and search time so far (every chat kind)."""
    sample = metrics.registry.get_sample_value

    def total(name: str, **labels: str) -> float:
        return sum(sample(name, {"via": via, **labels}) or 0.0 for via in VIAS)

    return Numbers(
        questions=int(total("speechbot_questions_total")),
        refusals=int(total("speechbot_answers_total", result="refused")),
        searched=int(total("speechbot_answer_seconds_count")),
        search_seconds=total("speechbot_answer_seconds_sum"),
    )
