"""Names shared by the Locust side and the report side: Locust entry types and names,
custom message types, and the files the runs leave in the output directory."""

from __future__ import annotations

# Locust request types (the "Type" column of Locust's statistics).
JOIN = "JOIN"  # connect -> welcome, per connection
RECONNECT = "RECONNECT"  # transport dropped -> welcome again (the outage an attendee sees)
FANOUT = "FANOUT"  # receipt time - the broadcast's ts, per received broadcast
ACK = "ACK"  # emit -> ack, per client-to-server event
MISSED = "MISSED"  # an expected broadcast that did not arrive before its deadline
CHECK = "CHECK"  # a consistency check (resume identity, kept answer, final tally)
SETUP = "SETUP"  # the scenario could not be set up (attendees missing, presenter errors)

# Locust entry names.
ATTENDEE = "attendee"
ATTENDEE_RESUME = "attendee (resume)"
PRESENTER = "presenter"
STAFF_SUFFIX = " [presenter]"

# Custom Locust messages: workers -> master, and master -> workers.
UP = "plenary:up"
DOWN = "plenary:down"

# Files in the output directory.
RESULTS_FILE = "plenary_results.json"  # written by the Locust master: presenter + workers
EXPORT_FILE = "export.json"  # the event's export, as the runner fetched it after the run
STATS_FILE = "plenary_stats.json"  # written by the Locust master: full histograms
SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
RESOURCES_CSV = "resources.csv"
LOCUST_PREFIX = "locust"  # locust_stats.csv, locust_stats_history.csv, locust_failures.csv
HTML_REPORT = "report.html"
TIMELINE_PNG = "timeline.png"
