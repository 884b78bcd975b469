"""The names the Hybrid Connections protocol puts on the wire, written once.

Headers and query parameters that both the relay client and the emulator speak
(§2 reserved ``sb-hc-*`` parameters, §3 where tokens travel, §4.7 listener
pinning, §5.3 rejection). Code that builds or reads them imports these names, so
a typo cannot make the client and the emulator disagree with each other while
both pass their own tests.
"""

from __future__ import annotations

__all__ = [
    "ACTION_PARAM",
    "ALLOWED_LISTENERS_HEADER",
    "AUTH_HEADER",
    "DISALLOWED_LISTENERS_HEADER",
    "ID_PARAM",
    "RESERVED_PARAM_PREFIX",
    "STATUS_CODE_PARAM",
    "STATUS_DESCRIPTION_PARAM",
    "TOKEN_PARAM",
]

#: The header that carries a SAS token or an Entra token, raw (§3).
AUTH_HEADER = "ServiceBusAuthorization"
#: The query parameter that may carry the token instead (§2, §3).
TOKEN_PARAM = "sb-hc-token"
#: ``listen``, ``connect``, ``accept`` or ``request`` (§2).
ACTION_PARAM = "sb-hc-action"
#: The listener's, connection's or rendezvous' id (§2).
ID_PARAM = "sb-hc-id"
#: A rejecting listener's status and description on the rendezvous URL (§5.3).
STATUS_CODE_PARAM = "sb-hc-statusCode"
STATUS_DESCRIPTION_PARAM = "sb-hc-statusDescription"
#: Every parameter whose name starts with this is the service's, not the listener's (§2).
RESERVED_PARAM_PREFIX = "sb-hc-"
#: Listener ids a sender allows or excludes (§4.7).
ALLOWED_LISTENERS_HEADER = "Microsoft-Relay-AllowedListeners"
DISALLOWED_LISTENERS_HEADER = "Microsoft-Relay-DisallowedListeners"
