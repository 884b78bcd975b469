"""``relaydesk diagnose`` and the GUI's Diagnose panel: walk the path to the relay.

DNS, proxy, TCP, TLS, the relay's own 401, the Entra authority, the token's
claims and clock skew, listener presence, rights, and the gateway hosts of a
rendezvous — each step with status, duration, what was seen and, on failure,
a cause and a remedy. :func:`run_diagnose` yields the events;
:func:`~relaydesk.diagnose.report.format_report` writes the redacted report.

Import from the modules (:mod:`.model`, :mod:`.runner`, :mod:`.report`); this
``__init__`` imports nothing: the step list is light, the runner pulls in the
network stack.
"""
