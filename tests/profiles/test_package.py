"""relaydesk.profiles (the package): the names of the former profiles.py still import."""

from __future__ import annotations

import relaydesk.profiles as package
from relaydesk.profiles import model, store, validation


def test_public_names_are_the_split_modules_objects() -> None:
    homes = {
        model: "PROXY_SECRET_SLOT ROLES SIGN_INS IdentityConfig IdentityKind Profile ProxyConfig "
        "Role SignIn profile_from_json profile_to_json",
        validation: "normalise_address validate validate_or_raise",
        store: "CONFIG_DIR_ENV ProfileStore default_config_dir profile_file_name",
    }
    exported = set()
    for module, names in homes.items():
        for name in names.split():
            assert getattr(package, name) is getattr(module, name), name
            exported.add(name)
    assert set(package.__all__) == exported
