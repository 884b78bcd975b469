"""asyncio relay client: listener, sender, events, retry policy (Qt-free).

Import names from the module that defines them (``relaydesk.relay.listener``,
``.sender``, ``.http_sender``, ``.events``, ``.policies`` …; docs/design.md
lists them). This ``__init__`` imports nothing on purpose: importing one light
module (the event classes, which every widget uses) must not pull in the
network stack, and re-exporting each name lazily wrote every name three times.
"""
