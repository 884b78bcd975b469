"""The one exception tree of RelayDesk.

Every error RelayDesk raises on purpose derives from :class:`RelayDeskError`.
Errors carry structured attributes (field, status, tracking id, AADSTS code…)
and a one-line ``__str__`` that states the *cause*; the *remedy* comes from
the one table in :mod:`relaydesk.remedies`, unless the raiser knows better and
sets a ``remedy`` attribute (an AADSTS code's advice, a check step's finding).

No exception text ever contains a secret, a key or a raw token.

Tree::

    RelayDeskError
    ├── InvalidInput (ValueError)          something a user typed or pasted
    │   ├── InvalidAddress                 hybrid connection address
    │   ├── InvalidConnectionString        connection string
    │   ├── InvalidTokenFormat             a SAS token / JWT that does not parse
    │   └── InvalidField                   a profile or form field
    ├── RemoteProtocolViolation            the peer broke the HC protocol (§4.4)
    ├── TokenRejected                      a token failed validation (SAS §9.4,
    │                                      JWT §10.4); status 401 or 403
    ├── AuthError                          getting a token failed
    │   ├── EntraError                     MSAL/Entra answered with an error
    │   └── AuthNetworkError               the authority could not be reached
    ├── SecretStoreError
    │   └── SecretStoreUnavailable         no usable OS keyring backend
    │       └── KeyringBackendInvalid      PYTHON_KEYRING_BACKEND names none
    │                                      (also an InvalidInput)
    ├── ProfileError                       profile file missing/corrupt/exists
    ├── RelayError                         talking to the relay failed
    │   ├── HandshakeFailed                upgrade/HTTP refused with a status
    │   │   ├── Unauthorized               401
    │   │   ├── Forbidden                  403
    │   │   ├── EntityNotFound             404
    │   │   ├── NoListener                 502
    │   │   ├── ListenerTimeout            504
    │   │   ├── PayloadTooLarge            413: the body exceeds the listener's limit
    │   │   ├── ListenerQuotaExceeded      403 QuotaExceeded: 25 listeners (§8)
    │   │   └── ListenerRejected           the listener's own status (§5.3)
    │   ├── ConnectionClosed               established channel closed (§4.3)
    │   └── RelayUnreachable               TCP/TLS level failure
    │       └── ProxyError                 the proxy on the way failed
    │           ├── ProxyUnreachable       no TCP connection to the proxy
    │           ├── ProxyAuthRequired      407 from the proxy
    │           ├── ProxyRefused           the proxy's own 403/502/… to CONNECT
    │           └── ProxyTlsFailed         TLS failed inside the proxy's tunnel
    ├── ForwardingFailed                   a forwarding listener's local service
    │                                      failed (down, slow, garbage, too big)
    └── EmulatorError                      the local emulator could not start

Some classes also subclass the matching built-in (``ValueError``) so that
generic callers can still catch them, as websockets does.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "AuthNetworkError",
    "ConnectionClosed",
    "EmulatorError",
    "EntityNotFound",
    "EntraError",
    "Forbidden",
    "ForwardingFailed",
    "HandshakeFailed",
    "InvalidAddress",
    "InvalidConnectionString",
    "InvalidField",
    "InvalidInput",
    "InvalidTokenFormat",
    "KeyringBackendInvalid",
    "ListenerQuotaExceeded",
    "ListenerRejected",
    "ListenerTimeout",
    "NoListener",
    "PayloadTooLarge",
    "ProfileError",
    "ProxyAuthRequired",
    "ProxyError",
    "ProxyRefused",
    "ProxyTlsFailed",
    "ProxyUnreachable",
    "RelayDeskError",
    "RelayError",
    "RelayUnreachable",
    "RemoteProtocolViolation",
    "SecretStoreError",
    "SecretStoreUnavailable",
    "TokenNotRenewable",
    "TokenRejected",
    "Unauthorized",
    "handshake_error_for_status",
]


class RelayDeskError(Exception):
    """Root of every error RelayDesk raises on purpose."""


# --- input -----------------------------------------------------------------


class InvalidInput(RelayDeskError, ValueError):
    """Something the user typed or pasted is not valid.

    Attributes:
        field: the name of the field (``"address"``, ``"tenant_id"`` …).
        reason: why it is invalid, one sentence, no secret in it.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidAddress(InvalidInput):
    """A hybrid connection address cannot be parsed (protocol §1)."""


class InvalidConnectionString(InvalidInput):
    """A connection string cannot be parsed (protocol §9.1)."""


class InvalidTokenFormat(InvalidInput):
    """A SAS token or JWT is not well formed (protocol §9.2, §10.4)."""


class InvalidField(InvalidInput):
    """A profile or form field is invalid."""


# --- protocol ----------------------------------------------------------------


class RemoteProtocolViolation(RelayDeskError):
    """The peer sent something the Hybrid Connections protocol does not allow.

    Raised for malformed control messages (protocol §4.4), never as a bare
    ``KeyError``/``TypeError``.
    """


class TokenRejected(RelayDeskError):
    """A token failed validation the way the service validates it.

    Attributes:
        status: 401 (missing, malformed, expired, bad signature, wrong
            audience) or 403 (valid, but lacks the right on this entity).
        code: a short machine code, e.g. ``"TokenExpired"``,
            ``"InvalidSignature"``, ``"InvalidAudience"``, ``"MissingRight"``.
        message: the human text, without any token material.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


# --- auth ----------------------------------------------------------------------


class AuthError(RelayDeskError):
    """Getting a token failed.

    Attributes:
        message: what happened, one line.
        remedy: what the user can do about it, one line (may be empty).
    """

    def __init__(self, message: str, *, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return self.message


class EntraError(AuthError):
    """Microsoft Entra ID refused to issue a token (protocol §10.6).

    Attributes:
        error: the OAuth2 ``error`` value (``invalid_client`` …).
        aadsts_code: the first AADSTS code (``7000215`` …) or ``None``.
        trace_id, correlation_id: Entra's ids for a support ticket.
        http_status: the HTTP status, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        remedy: str = "",
        error: str = "",
        aadsts_code: int | None = None,
        trace_id: str | None = None,
        correlation_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.error = error
        self.aadsts_code = aadsts_code
        self.trace_id = trace_id
        self.correlation_id = correlation_id
        self.http_status = http_status

    def __str__(self) -> str:
        code = f"AADSTS{self.aadsts_code}: " if self.aadsts_code else ""
        return f"{code}{self.message}"


class AuthNetworkError(AuthError):
    """The authority (token endpoint) could not be reached."""


class SignInError(EntraError):
    """Signing a person in (browser or device code) did not give a token.

    The remedy comes from :mod:`relaydesk.remedies` by subclass; the message
    never holds a code, password or token.
    """


class SignInCancelled(SignInError):
    """The person cancelled the sign-in (or closed the page, or it timed out)."""


class SignInRequired(SignInError):
    """The saved sign-in can no longer be renewed silently: MFA, conditional access,
    a revoked or expired refresh token (``interaction_required``), or no sign-in yet
    where RelayDesk may not ask."""


class ConsentRequired(SignInError):
    """The user (or an admin) has not consented to the app (AADSTS65001)."""


class UserNotInTenant(SignInError):
    """The account does not exist in this tenant (AADSTS50020, AADSTS50034)."""


class DeviceCodeExpired(SignInError):
    """The device code ran out before anyone entered it (``expired_token``)."""


# --- secrets and profiles ------------------------------------------------------


class SecretStoreError(RelayDeskError):
    """The OS keyring failed."""


class SecretStoreUnavailable(SecretStoreError):
    """No usable OS keyring backend exists on this machine.

    The caller may keep the secret in memory for the session; it must never be
    written to disk in plain text.
    """


class KeyringBackendInvalid(InvalidInput, SecretStoreUnavailable):
    """``PYTHON_KEYRING_BACKEND`` names no keyring backend that can be loaded.

    A usage error (``field`` is the variable's name; the CLI exits 2) and, to
    the GUI, one more reason the OS keyring is unavailable (memory fallback).
    """


class ProfileError(RelayDeskError):
    """A profile could not be loaded, saved, renamed or deleted."""


# --- relay ---------------------------------------------------------------------


class RelayError(RelayDeskError):
    """Talking to the relay failed."""


class HandshakeFailed(RelayError):
    """The relay (or the listener) refused a WebSocket upgrade or HTTP request.

    Attributes:
        status: the HTTP status of the refusal.
        reason: the service's reason text (status description), which usually
            carries ``TrackingId:``; never contains a token.
        tracking_id: the TrackingId parsed from the reason or body, if any.
        remedy: a remedy given by whoever raised it when it knows better than
            the table in :mod:`relaydesk.remedies` (empty otherwise).
    """

    def __init__(
        self,
        status: int,
        reason: str = "",
        *,
        tracking_id: str | None = None,
        remedy: str = "",
    ) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason
        self.tracking_id = tracking_id
        self.remedy = remedy

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.reason}" if self.reason else f"HTTP {self.status}"


class Unauthorized(HandshakeFailed):
    """401: the token is missing, malformed, expired, wrongly signed or for
    another audience (protocol §4.2)."""


class Forbidden(HandshakeFailed):
    """403: the token is valid but lacks the right on this entity."""


class EntityNotFound(HandshakeFailed):
    """404: no such hybrid connection, or no listener matched the pin."""


class NoListener(HandshakeFailed):
    """502: no listener is online for this hybrid connection."""


class ListenerTimeout(HandshakeFailed):
    """504: the listener did not answer within 60 seconds (protocol §7.1)."""


class PayloadTooLarge(HandshakeFailed):
    """413: the request body is larger than the listener (or the relay) accepts.

    A listener refuses a rendezvous body over its message limit by closing
    the socket with 1009 (§7.4); the relay answers the sender 413 at once
    instead of letting it wait for the 60 s deadline.
    """


class ListenerQuotaExceeded(HandshakeFailed):
    """403 QuotaExceeded: the hybrid connection has its maximum of listeners (§4.2, §8)."""


class ListenerRejected(HandshakeFailed):
    """The listener rejected the connection with its own status (§5.3)."""


class ConnectionClosed(RelayError):
    """An established channel was closed (protocol §4.3, §5.2).

    Attributes:
        code: the WebSocket close code (1000, 1001, 1008, 1011 …), or 1006 when
            the connection dropped without a close frame.
        reason: the close reason text.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"closed with {self.code}" + (f": {self.reason}" if self.reason else "")


class RelayUnreachable(RelayError):
    """The relay could not be reached at the TCP or TLS level."""


class ForwardingFailed(RelayDeskError):
    """A listener that forwards to a local service could not get its answer.

    The sender receives ``status`` (502, 503, 504, 413) with a short body
    naming RelayDesk as the cause; the listener stays online.

    Attributes:
        status: the HTTP status sent back through the relay.
        cause: a short machine-readable cause (``"unreachable"``, ``"timeout"`` …);
            :mod:`relaydesk.remedies` turns it into the remedy.
    """

    def __init__(self, status: int, cause: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.cause = cause


class ProxyError(RelayUnreachable):
    """A proxy between RelayDesk and the relay (or the Entra authority) failed.

    Raised for the relay's WebSockets and HTTP, runtime information and the
    authority alike: the path is unreachable through this proxy.

    Attributes:
        proxy: the proxy URL, display-safe (never credentials).
        target: the ``host:port`` RelayDesk asked the proxy for.
        remedy: what to do about it.
    """

    default_remedy = ""

    def __init__(self, message: str, *, proxy: str, target: str, remedy: str | None = None) -> None:
        super().__init__(message)
        self.proxy = proxy
        self.target = target
        self.remedy = self.default_remedy if remedy is None else remedy


class ProxyUnreachable(ProxyError):
    """No TCP connection to the proxy itself."""

    default_remedy = (
        "Check the proxy address and port (--proxy, the profile's proxy, or HTTPS_PROXY), "
        "or use --no-proxy / proxy mode 'none' if this network needs no proxy."
    )


class ProxyAuthRequired(ProxyError):
    """The proxy answered 407: credentials missing or wrong."""

    default_remedy = (
        "The proxy wants a user name and password: set the proxy user (profile or "
        "--proxy-user) and its password (OS keyring or --proxy-password-env VAR), or "
        "check them if set."
    )


class ProxyRefused(ProxyError):
    """The proxy itself refused to connect to the target (403, 502 … without a
    TrackingId, so the answer is the proxy's, not Azure's).

    Attributes:
        status: the proxy's HTTP status (0 for a SOCKS proxy, which has none).
    """

    default_remedy = (
        "Ask the network team to let the proxy reach the namespace on port 443 and the "
        "relay's gateway hosts (*.servicebus.windows.net), or try another proxy."
    )

    def __init__(
        self, message: str, *, proxy: str, target: str, status: int, remedy: str | None = None
    ) -> None:
        super().__init__(message, proxy=proxy, target=target, remedy=remedy)
        self.status = status


class ProxyTlsFailed(ProxyError):
    """The proxy opened the tunnel but TLS with the target failed inside it."""

    default_remedy = (
        "TLS inspection by a proxy or firewall is likely: trust your organisation's CA "
        "with --ca-file / the profile's CA file."
    )


class EmulatorError(RelayDeskError):
    """The local emulator could not start or was misconfigured."""


_STATUS_CLASSES: dict[int, type[HandshakeFailed]] = {
    401: Unauthorized,
    403: Forbidden,
    404: EntityNotFound,
    413: PayloadTooLarge,
    502: NoListener,
    504: ListenerTimeout,
}


def handshake_error_for_status(
    status: int,
    reason: str = "",
    *,
    tracking_id: str | None = None,
    from_listener: bool = False,
) -> HandshakeFailed:
    """Return the typed error for a refused handshake or HTTP request.

    Args:
        status: the HTTP status.
        reason: the status description / error message.
        tracking_id: TrackingId, if known.
        from_listener: the status came from the listener (rejection, §5.3),
            not from the service.
    """
    if from_listener:
        return ListenerRejected(status, reason, tracking_id=tracking_id)
    cls = _STATUS_CLASSES.get(status, HandshakeFailed)
    if status == 403 and _is_listener_quota(reason):
        cls = ListenerQuotaExceeded
    return cls(status, reason, tracking_id=tracking_id)


def _is_listener_quota(reason: str) -> bool:
    """Whether a 403 is the listener quota, not a missing right (§4.2).

    The service names it ``QuotaExceeded`` / ``MaximumListenersPerEndpoint``
    (relay-exceptions); its status is not documented (§15.2), .NET maps
    403 to ``QuotaExceededException``.
    """
    lowered = reason.lower()
    return "quota" in lowered or "maximumlistenersperendpoint" in lowered


# --- token renewal ------------------------------------------------------------


class TokenNotRenewable(AuthError):
    """The provider cannot (yet) give a token that expires later than asked.

    Raised by ``TokenProvider.get_token(expires_after=…)`` (and for a
    ``min_valid_for`` a fixed token cannot meet) so that renewal logic learns
    that asking again now would return the same token (protocol §4.6).

    Attributes:
        expires_at: expiry of the best token the provider has, seconds since
            the epoch, or ``None``.
        retry_after: seconds after which asking again may succeed, or ``None``
            when it never will (a fixed SharedAccessSignature).
    """

    def __init__(
        self,
        message: str,
        *,
        remedy: str = "",
        expires_at: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.expires_at = expires_at
        self.retry_after = retry_after
