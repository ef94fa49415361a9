"""Masking of personal data for screens, logs and staff lists."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """A name as a shared screen or the live board may show it: 张三丰 -> 张*丰, 李四 -> 李*."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """An ID number with only the first 3 and last 4 characters shown."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(address: str) -> str:
    """An e-mail address as a shared screen may show it: zhang.wei@x.cn -> zh*****i@x.cn."""
    local, _, domain = address.partition("@")
    shown = local[:2] + "*" * max(len(local) - 3, 1) + local[-1:] if len(local) > 2 else "*"
    return f"{shown}@{domain}"


def mask_mobile(number: str) -> str:
    """A mobile number with only the first 3 and last 4 digits shown."""
    return mask_id_number(number)
