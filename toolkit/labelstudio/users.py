"""Annotator accounts: add a user to the Label Studio organisation of the API key's owner."""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, connect

__all__ = ["AddedUser", "add_user", "MIN_PASSWORD"]

MIN_PASSWORD = 8
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class AddedUser:
    id: int
    email: str
    created: bool
    url: str


def add_user(email: str, password: str, *, client: Client | None = None) -> AddedUser:
    """Create the account `email` (username = email) with `password` in the organisation; an existing member is
    left as is (created=False, password unchanged). Label Studio's users API adds the new user to the caller's
    active organisation, so they see its projects as soon as they log in."""
    if not EMAIL.fullmatch(email):
        raise ToolkitError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise ToolkitError(f"the password must have at least {MIN_PASSWORD} characters")
    client = client or connect()
    login = f"{client.url}/user/login/"
    members = client.call("listing users", client.sdk.users.list)
    existing = next((user for user in members if (user.email or "").lower() == email.lower()), None)
    if existing is not None:
        return AddedUser(existing.id, existing.email, False, login)
    user = client.call(
        "creating a user",
        client.sdk.users.create,
        email=email,
        username=email,
        password=password,
        retry=False,  # a POST: never sent twice
    )
    return AddedUser(user.id, user.email, True, login)
