"""Access tokens: checked before they are sent, remembered for redaction, read for their tenant.

A token is a credential, so nothing here ever puts one (or a piece of one) in a message. The
checks run on every token the HTTP stack asks for, whichever credential produced it: a token
with a line break or a control character would otherwise reach the HTTP library, whose error
message quotes the header it refused.

The tenant a token was issued for is its ``tid`` claim (a JWT's payload is plain base64url JSON;
no signature check is needed to *read* a claim, and none is made: Graph itself verifies the
token, and ztb compares the claim with what Graph answers). A token that is not a JWT carries
no claim, which is not an error by itself.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import threading
import time
from typing import Any, Optional

from ztb.errors import ZtbError
from ztb.catalogue.roles import GUID_RE
from ztb.graph.redact import remember

ENV_ACCESS_TOKEN = "ZTB_ACCESS_TOKEN"
#: Far beyond any Entra token (about 2-4 KB); longer is not a token (or not one Graph accepts).
MAX_TOKEN_CHARS = 16384
_SIGN_IN = "sign in again (`az login`, azure/login with OIDC) or set ZTB_ACCESS_TOKEN to the token alone"


class MalformedToken(ZtbError, ValueError):
    """A token that must not be sent; the message says why and never shows the token."""


def check_token(token: Any, source: str = ENV_ACCESS_TOKEN) -> str:
    """The token without surrounding whitespace, or MalformedToken (one line, no token in it)."""
    if not isinstance(token, str):
        raise MalformedToken(f"{source} did not give an access token as text; {_SIGN_IN}")
    token = token.strip()
    if not token:
        raise MalformedToken(f"{source} is empty; {_SIGN_IN}")
    if len(token) > MAX_TOKEN_CHARS:
        raise MalformedToken(f"{source} is longer than {MAX_TOKEN_CHARS} characters, not an access token; {_SIGN_IN}")
    for i, ch in enumerate(token):
        code = ord(ch)
        if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            problem = "a control character"  # line breaks and tabs included
        elif ch.isspace():
            problem = "whitespace"
        elif code > 0x7E:
            problem = "a non-ASCII character"
        else:
            continue
        raise MalformedToken(f"{source} is malformed ({problem} at position {i + 1}; a token is printable ASCII "
                             f"without spaces) and was not sent; {_SIGN_IN}")
    return token


def tenant_claim(token: str) -> Optional[str]:
    """The lower-cased ``tid`` claim of a JWT access token, or None (not a JWT, no such claim)."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > MAX_TOKEN_CHARS:
        return None  # an opaque token, or a JWE whose payload is encrypted
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    if isinstance(tid, str) and GUID_RE.match(tid):
        return tid.lower()
    return None


class StaticTokenCredential:
    """An access token handed in from outside (``ZTB_ACCESS_TOKEN``), as an azure-core credential.

    The token is checked here (MalformedToken, before anything is sent) and kept private:
    ``repr`` and ``str`` never show it. Its expiry is unknown; Graph answers 401 when it has
    expired, which surfaces as a GraphError naming the call and the fix.
    """

    def __init__(self, token: str, source: str = ENV_ACCESS_TOKEN) -> None:
        self.__token = check_token(token, source)
        remember(self.__token)

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken

        return AccessToken(self.__token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"

    __str__ = __repr__


class GuardedCredential:
    """Wraps the credential the adapter uses: every token it yields is checked and remembered.

    ``tenants`` collects the ``tid`` claims of the tokens actually handed out, so the tenant
    check compares Graph's answers with the identity that read them.
    """

    def __init__(self, inner: Any, source: Optional[str] = None) -> None:
        self._inner = inner
        self._source = source or (ENV_ACCESS_TOKEN if isinstance(inner, StaticTokenCredential)
                                  else f"the access token from {type(inner).__name__}")
        self._lock = threading.Lock()
        self.tenants: set[str] = set()
        self.tokens_without_tenant = 0

    def _checked(self, result: Any) -> Any:
        token = check_token(getattr(result, "token", None), self._source)
        remember(token)
        tid = tenant_claim(token)
        with self._lock:
            if tid:
                self.tenants.add(tid)
            else:
                self.tokens_without_tenant += 1
        if token != result.token:  # surrounding whitespace was stripped
            return type(result)(token, result.expires_on)
        return result

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        result = self._inner.get_token(*scopes, **kwargs)
        if inspect.isawaitable(result):
            async def later() -> Any:
                return self._checked(await result)

            return later()
        return self._checked(result)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()

    def __repr__(self) -> str:
        return f"GuardedCredential({self._inner!r})"


__all__ = ["GuardedCredential", "MalformedToken", "StaticTokenCredential", "check_token", "tenant_claim"]
