"""asyncio relay client: listener, sender, events, retry policy (Qt-free).

Public API (see each module for details)::

    from relaydesk.relay import (
        Listener, ListenerOptions, ListenerConnection,          # listener side
        connect, SenderConnection, EventQueue,                  # WebSocket sender
        http_request, HttpResponse,                             # HTTP sender
        AcceptDecision, accept_all, reject_all,                 # accept policies
        HttpRequest, HttpReply, echo_handler, fixed_response,   # HTTP handlers
        make_ssl_context, error_info,
    )
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relaydesk.lazy_exports import lazy_getattr

# Names are loaded on first use (relaydesk.lazy_exports): importing one light
# module of this package must not pull in the network and auth stacks.
_EXPORTS: dict[str, str] = {
    "AcceptDecision": "relaydesk.relay.policies",
    "AcceptPolicy": "relaydesk.relay.policies",
    "ConnectionHandler": "relaydesk.relay.accepting",
    "EventQueue": "relaydesk.relay.event_queue",
    "HttpHandler": "relaydesk.relay.policies",
    "HttpReply": "relaydesk.relay.policies",
    "HttpRequest": "relaydesk.relay.policies",
    "HttpResponse": "relaydesk.relay.http_sender",
    "Listener": "relaydesk.relay.listener",
    "ListenerConnection": "relaydesk.relay.connection",
    "ListenerOptions": "relaydesk.relay.options",
    "MessageConnection": "relaydesk.relay.connection",
    "SenderConnection": "relaydesk.relay.sender",
    "WebSocketSettings": "relaydesk.relay.transport",
    "accept_all": "relaydesk.relay.policies",
    "connect": "relaydesk.relay.sender",
    "echo_handler": "relaydesk.relay.policies",
    "error_info": "relaydesk.relay.failures",
    "fixed_response": "relaydesk.relay.policies",
    "http_request": "relaydesk.relay.http_sender",
    "make_ssl_context": "relaydesk.relay.tls",
    "reject_all": "relaydesk.relay.policies",
}

if TYPE_CHECKING:
    from relaydesk.relay.accepting import ConnectionHandler
    from relaydesk.relay.connection import ListenerConnection, MessageConnection
    from relaydesk.relay.event_queue import EventQueue
    from relaydesk.relay.failures import error_info
    from relaydesk.relay.http_sender import HttpResponse, http_request
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.options import ListenerOptions
    from relaydesk.relay.policies import (
        AcceptDecision,
        AcceptPolicy,
        HttpHandler,
        HttpReply,
        HttpRequest,
        accept_all,
        echo_handler,
        fixed_response,
        reject_all,
    )
    from relaydesk.relay.sender import SenderConnection, connect
    from relaydesk.relay.tls import make_ssl_context
    from relaydesk.relay.transport import WebSocketSettings


__getattr__ = lazy_getattr(globals(), _EXPORTS)

__all__ = [
    "AcceptDecision",
    "AcceptPolicy",
    "ConnectionHandler",
    "EventQueue",
    "HttpHandler",
    "HttpReply",
    "HttpRequest",
    "HttpResponse",
    "Listener",
    "ListenerConnection",
    "ListenerOptions",
    "MessageConnection",
    "SenderConnection",
    "WebSocketSettings",
    "accept_all",
    "connect",
    "echo_handler",
    "error_info",
    "fixed_response",
    "http_request",
    "make_ssl_context",
    "reject_all",
]
