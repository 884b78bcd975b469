"""The emulator's demo hybrid connection as both SDKs see it: address, SAS rules, TLS."""

from __future__ import annotations

import ssl

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.emulator import Emulator
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

__all__ = ["demo_address", "demo_tls", "node_rule", "sas_provider"]


def demo_address(emulator: Emulator) -> HybridConnectionAddress:
    return HybridConnectionAddress.parse(f"sb://{emulator.namespace}/demo")


def sas_provider(emulator: Emulator, rule_name: str) -> SasTokenProvider:
    rule = emulator.world.sas_rules[rule_name]
    return SasTokenProvider(demo_address(emulator), rule.name, Secret(rule.primary_key))


def node_rule(emulator: Emulator, rule_name: str) -> dict[str, str]:
    rule = emulator.world.sas_rules[rule_name]
    return {
        "keyName": rule.name,
        "key": rule.primary_key,
        "tokenUri": f"https://{emulator.namespace}/demo",
    }


def demo_tls(emulator: Emulator) -> ssl.SSLContext:
    return make_ssl_context(emulator.ca_file)
