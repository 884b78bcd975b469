"""The emulated world: tenant, hybrid connections, identities, SAS rules, roles.

:func:`load_world` is the entry point; it re-exports the model of
``world_model.py``, reads the configuration with ``world_config.py`` and
keeps generated credentials with ``world_state.py``. This docstring is the
reference of the configuration format.

The relay half (``relay.py``) asks this world whether a hybrid connection
exists and whether it needs client authorization (§1 ``requiresClientAuthorization``);
the identity half (``entra.py``, ``authz.py``) asks it for client secrets,
RBAC role assignments (§10.3) and SAS rules (§9).

Secrets, keys and ids that the configuration does not give are generated at
random **once per data directory** and persisted in ``world-state.json``
(mode 0600) next to the JWT signing key ``jwt-signing-key.pem`` (mode 0600),
so a restart with the same data directory keeps every credential a user has
copied.

Without a configuration file the default world is used (docs/design.md):
hybrid connections ``demo`` (client authorization required) and ``open``
(anonymous senders allowed); identities ``owner`` (Azure Relay Owner on
``/``), ``listener`` (Azure Relay Listener on ``/demo``), ``sender`` (Azure
Relay Sender on ``/demo``), ``outsider`` (no role); SAS rules
``RootManageSharedAccessKey`` (Manage, Listen, Send on ``/``), ``listen-only``
(Listen on ``/demo``) and ``send-only`` (Send on ``/demo``); users
``listener-user`` (Azure Relay Listener on ``/demo``), ``sender-user`` (Azure
Relay Sender on ``/demo``) and ``no-role-user`` (no role), each
``<name>@<domain>`` with a generated password.

Configuration file format (TOML, or JSON with the same structure; every key
except the names is optional, and unknown keys are errors)::

    tenant_id = "6f1b2c1e-8a7b-4c1e-9d7e-0a1b2c3d4e5f"   # generated if absent
    domain = "relaydesk.localhost"    # verified domain; tenant may be addressed by it

    [[hybrid_connections]]
    name = "demo"
    requires_client_authorization = true     # default true
    user_metadata = "owned by team A"         # optional, ≤ 1024 characters (runtime info)

    [[identities]]
    name = "owner"
    client_id = "…GUID…"        # generated if absent
    client_secret = "…"         # generated if absent
    object_id = "…GUID…"        # generated if absent
    roles = [{ role = "Azure Relay Owner", scope = "/" }]

    [[sas_rules]]
    name = "RootManageSharedAccessKey"
    rights = ["Manage", "Listen", "Send"]
    scope = "/"                 # "/" = namespace, "/demo" = that entity; default "/"
    primary_key = "…"           # generated if absent (base64 of 32 random bytes)
    secondary_key = "…"         # generated if absent

    [[users]]                   # people who sign in (browser or device code)
    name = "listener-user"
    upn = "listener-user@relaydesk.localhost"   # default <name>@<domain>
    password = "…"              # generated if absent
    object_id = "…GUID…"        # generated if absent
    roles = [{ role = "Azure Relay Listener", scope = "/demo" }]

Role names are the built-in ones of §10.3 (``Azure Relay Owner``,
``Azure Relay Listener``, ``Azure Relay Sender``). A scope ``"/x"`` must name
a configured hybrid connection. SAS rule names are unique across the whole
namespace in the emulator (Azure allows the same name on an entity and on the
namespace; the emulator does not, so that a key name always finds one rule).
"""

from __future__ import annotations

import json
from pathlib import Path

from relaydesk.emulator.world_config import ConfigReader, load_config
from relaydesk.emulator.world_model import (
    DEFAULT_DOMAIN,
    ROLE_LISTENER,
    ROLE_OWNER,
    ROLE_RIGHTS,
    ROLE_SENDER,
    HybridConnection,
    Identity,
    Right,
    RoleAssignment,
    SasRule,
    SigningKey,
    User,
    World,
    is_entity_name,
    new_guid,
    scope_covers,
)
from relaydesk.emulator.world_state import (
    SIGNING_KEY_FILE,
    STATE_FILE,
    load_signing_key,
    read_state,
    write_private,
)

__all__ = [
    "DEFAULT_DOMAIN",
    "ROLE_LISTENER",
    "ROLE_OWNER",
    "ROLE_RIGHTS",
    "ROLE_SENDER",
    "SIGNING_KEY_FILE",
    "STATE_FILE",
    "HybridConnection",
    "Identity",
    "Right",
    "RoleAssignment",
    "SasRule",
    "SigningKey",
    "User",
    "World",
    "is_entity_name",
    "load_world",
    "new_guid",
    "scope_covers",
]


def load_world(data_dir: Path, config_file: Path | None = None) -> World:
    """Load (or create) the world of ``data_dir``, optionally from a config file.

    Values the configuration does not give are taken from the data
    directory's state file, or generated and written there (mode 0600).

    Raises:
        EmulatorError: the config file is unreadable or invalid (the message
            names the file, the key and the reason), or the state file is
            corrupt, or the data directory cannot be written.
    """
    config, source = load_config(config_file)
    state = read_state(data_dir / STATE_FILE)
    reader = ConfigReader(source, state)
    world = reader.world(config, load_signing_key(data_dir, state))
    write_private(data_dir / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))
    return world
