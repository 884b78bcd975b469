"""Profiles: a hybrid connection plus the listener and sender identities.

A :class:`Profile` never holds a secret or a token (product principle 6): the
client secret / SAS key of each identity lives in a
:class:`~relaydesk.secrets.SecretStore` under :func:`~relaydesk.secrets.secret_key`
``(profile name, role)``. :class:`ProfileStore` keeps one JSON file per
profile in ``platformdirs.user_config_dir("relaydesk")/profiles`` (or
``$RELAYDESK_CONFIG_DIR/profiles``), writes atomically, and moves or deletes
the keyring entries when a profile is renamed or deleted.

Validation returns every problem at once (:func:`validate`), each an
:class:`InvalidField` whose ``field`` names the form field
(``"address"``, ``"listener.client_id"`` …), so a form can mark them all.

The package re-exports its parts: the model and its JSON form
(:mod:`relaydesk.profiles.model`), validation
(:mod:`relaydesk.profiles.validation`) and the store
(:mod:`relaydesk.profiles.store`).
"""

from __future__ import annotations

from relaydesk.profiles.model import (
    PROXY_SECRET_SLOT,
    ROLES,
    SIGN_INS,
    IdentityConfig,
    IdentityKind,
    Profile,
    ProxyConfig,
    Role,
    SignIn,
    profile_from_json,
    profile_to_json,
)
from relaydesk.profiles.store import (
    CONFIG_DIR_ENV,
    ProfileStore,
    default_config_dir,
    profile_file_name,
)
from relaydesk.profiles.validation import normalise_address, validate, validate_or_raise

__all__ = [
    "CONFIG_DIR_ENV",
    "PROXY_SECRET_SLOT",
    "ROLES",
    "SIGN_INS",
    "IdentityConfig",
    "IdentityKind",
    "Profile",
    "ProfileStore",
    "ProxyConfig",
    "Role",
    "SignIn",
    "default_config_dir",
    "normalise_address",
    "profile_file_name",
    "profile_from_json",
    "profile_to_json",
    "validate",
    "validate_or_raise",
]
