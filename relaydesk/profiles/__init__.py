"""Profiles: a hybrid connection plus the listener and sender identities.

A :class:`~relaydesk.profiles.model.Profile` never holds a secret or a token
(product principle 6): the client secret / SAS key of each identity lives in a
:class:`~relaydesk.secrets.SecretStore` under :func:`~relaydesk.secrets.secret_key`
``(profile name, role)``. :class:`~relaydesk.profiles.store.ProfileStore` keeps
one JSON file per profile in ``platformdirs.user_config_dir("relaydesk")/profiles``
(or ``$RELAYDESK_CONFIG_DIR/profiles``), writes atomically, and moves or deletes
the keyring entries when a profile is renamed or deleted.

Validation returns every problem at once
(:func:`~relaydesk.profiles.validation.validate`), each an :class:`InvalidField`
whose ``field`` names the form field (``"address"``, ``"listener.client_id"`` …),
so a form can mark them all.

Modules: :mod:`.model` (the model and its JSON form), :mod:`.validation` and
:mod:`.store`. Import names from them; like the other packages, this
``__init__`` imports nothing, so a command that only needs an identity (a SAS
``relaydesk send``) does not pay for the store and platformdirs.
"""
