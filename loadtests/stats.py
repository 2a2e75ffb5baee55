"""Locust statistics as plain data: full response-time histograms per entry (so entries
can be merged exactly, e.g. every ``FANOUT`` entry into one), and percentiles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

PERCENTILES = (0.5, 0.9, 0.95, 0.99, 0.999, 1.0)


def dump_stats(stats: Any) -> dict[str, Any]:
    """A :class:`locust.stats.RequestStats` as JSON-able data."""
    entries = []
    for entry in stats.entries.values():
        entries.append(
            {
                "type": entry.method,
                "name": entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "min": entry.min_response_time,
                "max": entry.max_response_time,
                "total_time": entry.total_response_time,
                "histogram": {str(k): v for k, v in entry.response_times.items()},
            }
        )
    errors = [
        {
            "type": error.method,
            "name": error.name,
            "error": str(error.error),
            "occurrences": error.occurrences,
        }
        for error in stats.errors.values()
    ]
    return {"entries": entries, "errors": errors}


def percentile(histogram: Mapping[float, int], fraction: float) -> float:
    """The response time that ``fraction`` of the samples are at or below (Locust's
    rounding: exact under 100 ms, then to 10 ms, then to 100 ms above 1 s)."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    wanted = fraction * total
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return float(value)
    return float(max(histogram))


def merge(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge entries into one summary: count, failures, mean, max and percentiles."""
    histogram: Counter[float] = Counter()
    requests = failures = 0
    total_time = 0.0
    maximum = 0.0
    for entry in entries:
        requests += int(entry["requests"])
        failures += int(entry["failures"])
        total_time += float(entry["total_time"])
        maximum = max(maximum, float(entry["max"] or 0))
        for value, count in entry["histogram"].items():
            histogram[float(value)] += int(count)
    summary: dict[str, Any] = {
        "count": requests,
        "failures": failures,
        "mean": round(total_time / requests, 1) if requests else None,
        "max": round(maximum, 1),
    }
    for fraction in PERCENTILES[:-1]:
        summary[f"p{fraction * 100:g}"] = percentile(histogram, fraction) if requests else None
    return summary
