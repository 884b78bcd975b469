"""Connection-form rules beyond :func:`relaydesk.profiles.validation.validate` (Qt-free).

``validate()`` checks a :class:`~relaydesk.profiles.model.Profile`, which never holds
a secret; the form must also know whether each identity that needs a secret
has one, either typed now or already in the secret store.
"""

from __future__ import annotations

from collections.abc import Mapping

from relaydesk.errors import InvalidField
from relaydesk.profiles.model import ROLES, Profile
from relaydesk.profiles.validation import validate

SECRET_FIELD = {"entra": "client_secret", "sas": "sas_key"}
_SECRET_WHAT = {"entra": "the client secret", "sas": "the SAS key"}


def secret_problems(
    profile: Profile, entered: Mapping[str, bool], stored: Mapping[str, bool]
) -> list[InvalidField]:
    """Return a problem for every identity that needs a secret and has none.

    Args:
        profile: the profile being edited.
        entered: role → a secret was typed in the form.
        stored: role → the store already holds that role's secret.
    """
    problems = []
    for role in ROLES:
        if role == "sender" and profile.sender_same_as_listener:
            continue
        kind = profile.identity(role).kind
        if kind in SECRET_FIELD and not entered.get(role) and not stored.get(role):
            problems.append(
                InvalidField(f"{role}.{SECRET_FIELD[kind]}", f"enter {_SECRET_WHAT[kind]}")
            )
    return problems


def form_problems(
    profile: Profile, entered: Mapping[str, bool], stored: Mapping[str, bool]
) -> list[InvalidField]:
    """Return every problem of the form: the profile's fields, then missing secrets."""
    return validate(profile) + secret_problems(profile, entered, stored)


#: Where a secret held for this session only is (the demo's throw-away ones).
SESSION_LOCATION = "memory for this session only (a throw-away demo secret)"


def secret_location(
    backend_name: str, persistent: bool, *, stored: bool = False, typed: bool = False
) -> str:
    """Return the words shown under a secret field about where its secret is (or will be).

    Only a secret that is really in the store is "stored in …": an empty field
    says that nothing is stored yet, a typed one that Save will store it.
    """
    if not persistent:
        if typed or stored:
            return "no keyring: kept in memory for this session only"
        return "no keyring: what you type is kept for this session only"
    if typed:
        return f"Save stores it in {backend_name}"
    if stored:
        return f"stored in {backend_name}"
    return f"nothing stored yet: Save keeps it in {backend_name}"
