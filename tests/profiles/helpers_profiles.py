"""Sample identities and profiles shared by the tests of relaydesk.profiles."""

from __future__ import annotations

from relaydesk.profiles.model import IdentityConfig, Profile

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SAS_KEY = "c2FzLWtleS12YWx1ZS1mb3ItdGVzdHM=+/="
CLIENT_SECRET = "Zq8~client-secret-value"


def entra(**kwargs: str | None) -> IdentityConfig:
    values: dict[str, str | None] = {"tenant_id": TENANT, "client_id": CLIENT}
    values.update(kwargs)
    return IdentityConfig(kind="entra", **values)  # type: ignore[arg-type]


def sample_profile(name: str = "Local demo", **kwargs: object) -> Profile:
    values: dict[str, object] = {
        "address": "https://NS.servicebus.windows.net/demo",
        "listener": entra(),
        "sender": IdentityConfig(kind="sas", sas_key_name="send-only"),
    }
    values.update(kwargs)
    return Profile(name=name, **values)  # type: ignore[arg-type]
