"""asyncio relay client: listener, sender, events, retry policy (Qt-free).

Public API (see each module for details)::

    from relaydesk.relay import (
        Listener, ListenerOptions, ListenerConnection,          # listener side
        connect, SenderConnection,                              # WebSocket sender
        http_request, HttpResponse,                             # HTTP sender
        AcceptDecision, accept_all, reject_all,                 # accept policies
        HttpRequest, HttpReply, echo_handler, fixed_response,   # HTTP handlers
        make_ssl_context, error_info,
    )
"""

from __future__ import annotations

from relaydesk.relay.accepting import ConnectionHandler
from relaydesk.relay.connection import ListenerConnection, MessageConnection
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

__all__ = [
    "AcceptDecision",
    "AcceptPolicy",
    "ConnectionHandler",
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
