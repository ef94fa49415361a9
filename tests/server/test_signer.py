"""server.security.Signer: compact signed tokens, one spelling each."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from server.security import LinkExpired, LinkInvalid, Signer

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("short", [True, False])
def test_a_token_loads_until_it_expires(short: bool) -> None:
    signer = Signer("secret", "salt", short=short)
    token = signer.sign((42, 1), NOW + dt.timedelta(minutes=5))
    assert signer.load(token, NOW, size=2) == (42, 1)
    with pytest.raises(LinkExpired):
        signer.load(token, NOW + dt.timedelta(minutes=5), size=2)


@pytest.mark.parametrize("short", [True, False])
def test_every_other_spelling_of_the_signature_is_refused(short: bool) -> None:
    signer = Signer("secret", "salt", short=short)
    token = signer.sign((42, 1), NOW + dt.timedelta(minutes=5))
    head, _, signature = token.rpartition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    decoded = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    same_bytes = 0
    for other in alphabet.replace(signature[-1], ""):
        respelled = signature[:-1] + other
        # Some of these decode to the very same signature bytes (the last character's unused
        # bits); those must be refused as well as the ones that change the signature.
        if base64.urlsafe_b64decode(respelled + "=" * (-len(respelled) % 4)) == decoded:
            same_bytes += 1
        with pytest.raises(LinkInvalid):
            signer.load(f"{head}.{respelled}", NOW, size=2)
    assert same_bytes > 0  # the case that matters was among those tried
